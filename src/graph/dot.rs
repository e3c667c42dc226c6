//! The graph in Graphviz's DOT: Map and Parallel states are clusters holding their
//! sub-graphs, with a node of their own that edges arrive at and leave from.
use super::{EdgeKind, Graph, NodeKind, Scope};
use std::fmt::Write as _;

/// A DOT quoted string (`"` and `\` escaped, newlines as `\n`).
fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

pub fn to_dot(g: &Graph) -> String {
    let mut out = String::new();
    out.push_str("digraph StateMachine {\n");
    out.push_str("  rankdir=TB;\n  compound=true;\n");
    out.push_str(
        "  node [shape=box, style=\"rounded,filled\", fillcolor=white, fontname=\"Helvetica\"];\n",
    );
    out.push_str("  edge [fontname=\"Helvetica\", fontsize=10];\n");
    let mut clusters = 0;
    scope(&mut out, &g.top, 1, &mut clusters);
    out.push_str("}\n");
    out
}

fn scope(out: &mut String, s: &Scope, depth: usize, clusters: &mut usize) {
    let pad = "  ".repeat(depth);
    for n in &s.nodes {
        let label = if n.detail.is_empty() {
            n.name.clone()
        } else {
            format!("{}\n{}", n.name, n.detail)
        };
        let shape = match n.kind {
            NodeKind::Start | NodeKind::End => {
                ", shape=ellipse, style=filled, fillcolor=\"#e8e8e8\""
            }
            NodeKind::Reader | NodeKind::Writer => {
                ", shape=cylinder, style=filled, fillcolor=\"#f5f0ff\""
            }
            NodeKind::State(_) => "",
        };
        if n.children.is_empty() {
            let _ = writeln!(
                out,
                "{pad}{} [label={}{shape}];",
                quote(&n.id),
                quote(&label)
            );
            continue;
        }
        *clusters += 1;
        let _ = writeln!(out, "{pad}subgraph cluster_{clusters} {{");
        let _ = writeln!(out, "{pad}  label={}; style=rounded;", quote(&n.name));
        let _ = writeln!(out, "{pad}  {} [label={}];", quote(&n.id), quote(&label));
        for (i, child) in n.children.iter().enumerate() {
            if n.children.len() > 1 {
                *clusters += 1;
                let _ = writeln!(out, "{pad}  subgraph cluster_{clusters} {{");
                let _ = writeln!(
                    out,
                    "{pad}    label={}; style=dashed;",
                    quote(&format!("Branch {}", i + 1))
                );
                scope(out, child, depth + 2, clusters);
                let _ = writeln!(out, "{pad}  }}");
            } else {
                scope(out, child, depth + 1, clusters);
            }
            // The state's node leads into each of its sub-graphs.
            if let Some(first) = first_node(child) {
                let _ = writeln!(
                    out,
                    "{pad}  {} -> {} [style=dotted, arrowhead=none];",
                    quote(&n.id),
                    quote(first)
                );
            }
        }
        let _ = writeln!(out, "{pad}}}");
    }
    for e in &s.edges {
        let style = match e.kind {
            EdgeKind::Catch => ", style=dashed, color=\"#c0392b\"",
            EdgeKind::Retry => ", style=dashed, color=\"#e67e22\"",
            EdgeKind::Default => ", style=bold",
            _ => "",
        };
        let label = if e.label.is_empty() {
            String::new()
        } else {
            format!(" label={}", quote(&e.label))
        };
        let _ = writeln!(
            out,
            "{pad}{} -> {} [{}{style}];",
            quote(&e.from),
            quote(&e.to),
            label.trim_start()
        );
    }
}

/// The node a sub-graph starts at: its reader, else the target of its first edge's
/// source, else its first node.
fn first_node(s: &Scope) -> Option<&str> {
    s.nodes
        .iter()
        .find(|n| n.kind == NodeKind::Reader)
        .or_else(|| s.nodes.first())
        .map(|n| n.id.as_str())
}
