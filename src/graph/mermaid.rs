//! The graph as a Mermaid flowchart: Map and Parallel states are subgraphs holding
//! their sub-graphs, with a node of their own that edges arrive at and leave from.
use super::{EdgeKind, Graph, NodeKind, Scope};
use std::collections::HashMap;
use std::fmt::Write as _;

/// A Mermaid quoted label: quotes, angle brackets, `#` and the like as entity codes
/// (Mermaid's own escapes), so a state name can't end the label or inject markup,
/// and `%` too: Mermaid takes `%%{…}%%` anywhere in the text as a directive.
fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("#quot;"),
            '#' => out.push_str("#35;"),
            '<' => out.push_str("#lt;"),
            '>' => out.push_str("#gt;"),
            '&' => out.push_str("#amp;"),
            '`' => out.push_str("#96;"),
            '%' => out.push_str("#37;"),
            '\n' | '\r' => out.push(' '),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

pub fn to_mermaid(g: &Graph) -> String {
    let mut ids = HashMap::new();
    let mut out = String::from("flowchart TD\n");
    let mut subgraphs = 0;
    scope(&mut out, &g.top, 1, &mut ids, &mut subgraphs);
    out.push_str("  classDef marker fill:#e8e8e8,stroke:#888\n");
    out
}

/// Mermaid ids are plain words: states get `n0`, `n1`, … in the order they appear.
fn id(ids: &mut HashMap<String, String>, key: &str) -> String {
    let next = ids.len();
    ids.entry(key.to_string())
        .or_insert_with(|| format!("n{next}"))
        .clone()
}

fn scope(
    out: &mut String,
    s: &Scope,
    depth: usize,
    ids: &mut HashMap<String, String>,
    subgraphs: &mut usize,
) {
    let pad = "  ".repeat(depth);
    for n in &s.nodes {
        let label = if n.detail.is_empty() {
            n.name.clone()
        } else {
            format!("{} ({})", n.name, n.detail)
        };
        let nid = id(ids, &n.id);
        let shape = match n.kind {
            NodeKind::Start | NodeKind::End => format!("(({}))", quote(&label)),
            NodeKind::Reader | NodeKind::Writer => format!("[({})]", quote(&label)),
            NodeKind::State(_) => format!("[{}]", quote(&label)),
        };
        if n.children.is_empty() {
            let _ = writeln!(out, "{pad}{nid}{shape}");
            if matches!(n.kind, NodeKind::Start | NodeKind::End) {
                let _ = writeln!(out, "{pad}class {nid} marker");
            }
            continue;
        }
        *subgraphs += 1;
        let _ = writeln!(out, "{pad}subgraph sg{subgraphs} [{}]", quote(&n.name));
        let _ = writeln!(out, "{pad}  {nid}{shape}");
        for (i, child) in n.children.iter().enumerate() {
            if n.children.len() > 1 {
                *subgraphs += 1;
                let _ = writeln!(
                    out,
                    "{pad}  subgraph sg{subgraphs} [{}]",
                    quote(&format!("Branch {}", i + 1))
                );
                scope(out, child, depth + 2, ids, subgraphs);
                let _ = writeln!(out, "{pad}  end");
            } else {
                scope(out, child, depth + 1, ids, subgraphs);
            }
            if let Some(first) = child
                .nodes
                .iter()
                .find(|c| c.kind == NodeKind::Reader)
                .or(child.nodes.first())
            {
                let fid = id(ids, &first.id);
                let _ = writeln!(out, "{pad}  {nid} -.- {fid}");
            }
        }
        let _ = writeln!(out, "{pad}end");
    }
    for e in &s.edges {
        let from = id(ids, &e.from);
        let to = id(ids, &e.to);
        let arrow = match e.kind {
            EdgeKind::Catch | EdgeKind::Retry => "-.->",
            EdgeKind::Default => "==>",
            _ => "-->",
        };
        if e.label.is_empty() {
            let _ = writeln!(out, "{pad}{from} {arrow} {to}");
        } else {
            let _ = writeln!(out, "{pad}{from} {arrow}|{}| {to}", quote(&e.label));
        }
    }
}
