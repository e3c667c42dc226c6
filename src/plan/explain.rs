//! `asl explain`: the plan in words.

use super::Plan;
use crate::asl::model::{Map, StateKind, StateMachine, Transition};
use crate::plan::columnar::ColumnarProgram;
use serde_json::Value;
use std::fmt::Write;

pub fn explain(plan: &Plan) -> String {
    let mut out = String::new();
    scope(plan, &plan.machine, "", 0, &mut out);
    out
}

fn scope(plan: &Plan, sm: &StateMachine, ptr: &str, depth: usize, out: &mut String) {
    let pad = "  ".repeat(depth);
    let start = &sm.state(sm.start_at).name;
    let _ = writeln!(out, "{pad}StartAt {start}");
    for st in &sm.states {
        let sptr = format!(
            "{ptr}/States/{}",
            st.name.replace('~', "~0").replace('/', "~1")
        );
        let next = match st.transition {
            Transition::Next(n) => format!(" -> {}", sm.state(n).name),
            Transition::End => " -> End".to_string(),
            Transition::None => String::new(),
        };
        let _ = writeln!(
            out,
            "{pad}[{}] {} ({}){next}",
            sm.by_name[&st.name].0,
            st.name,
            st.type_name()
        );
        match &st.kind {
            StateKind::Choice(c) => {
                for b in &c.choices {
                    let _ = writeln!(out, "{pad}    rule -> {}", sm.state(b.next).name);
                }
                if let Some(d) = c.default {
                    let _ = writeln!(out, "{pad}    default -> {}", sm.state(d).name);
                }
            }
            StateKind::Map(m) => {
                match plan.map_plan(m) {
                    Some(mp) => {
                        let _ = writeln!(out, "{pad}    strategy: {} ({sptr})", mp.strategy.name());
                        let _ = writeln!(out, "{pad}    why: {}", mp.reason);
                        if let Some(p) = &mp.columnar {
                            for line in data_plane(m, p) {
                                let _ = writeln!(out, "{pad}    {line}");
                            }
                        }
                    }
                    None => {
                        let _ = writeln!(out, "{pad}    strategy: decided at run time");
                    }
                }
                let _ = writeln!(out, "{pad}    item processor:");
                scope(
                    plan,
                    &m.processor,
                    &format!("{sptr}/ItemProcessor"),
                    depth + 3,
                    out,
                );
            }
            StateKind::Parallel(p) => {
                for (i, b) in p.branches.iter().enumerate() {
                    let _ = writeln!(
                        out,
                        "{pad}    branch {i} (crossbeam scoped thread, or rayon when inside a parallel Map):"
                    );
                    scope(plan, b, &format!("{sptr}/Branches/{i}"), depth + 3, out);
                }
            }
            _ => {}
        }
    }
}

fn text<'a>(v: Option<&'a Value>, path: &[&str]) -> Option<&'a str> {
    let mut v = v?;
    for k in path {
        v = v.get(*k)?;
    }
    v.as_str()
}

/// What a columnar Map reads and how its data plane runs (the parts known before the
/// run: literal ReaderConfig and WriterConfig).
fn data_plane(m: &Map, p: &ColumnarProgram) -> Vec<String> {
    let mut lines = Vec::new();
    let get_object =
        text(m.item_reader.as_ref(), &["Resource"]).is_some_and(|r| r.ends_with("s3:getObject"));
    let input_type = text(m.item_reader.as_ref(), &["ReaderConfig", "InputType"]);
    let parquet_in = get_object && input_type == Some("PARQUET");
    let csv_in = get_object && input_type == Some("CSV") && m.item_batcher.is_none();
    let writer = m.result_writer.as_ref();
    let transformation = text(writer, &["WriterConfig", "Transformation"]);
    let exports = writer.is_some_and(|w| w.get("Resource").is_some());
    let flatten = transformation == Some("FLATTEN");
    let records_inputs = exports && matches!(transformation, None | Some("NONE"));
    if p.needs_whole_item() || records_inputs {
        lines.push("columns: every column (an output carries the whole item)".to_string());
    } else if csv_in {
        // Rows that leave the kernels need every column (FAILED records hold the item).
        lines.push(format!(
            "columns: [{}] (what the kernels read; each CSV row is parsed whole)",
            p.input_columns().join(", ")
        ));
    } else {
        lines.push(format!(
            "columns: [{}] (projection pushdown: no other column is decoded)",
            p.input_columns().join(", ")
        ));
    }
    let to = match (exports, text(writer, &["WriterConfig", "OutputType"])) {
        (true, Some("PARQUET")) if !records_inputs => "the Parquet ResultWriter as record batches",
        (true, _) => "the ResultWriter as JSON",
        (false, _) => "the inline result as JSON",
    };
    if csv_in {
        lines.push(format!(
            "data plane: CSV record batches (values as strings) straight into the kernels, in slices run in parallel, outputs to {to}"
        ));
    }
    if !parquet_in {
        return lines;
    }
    lines.push(format!(
        "data plane: Parquet row groups decoded in parallel straight into the kernels, outputs to {to}"
    ));
    let limited = m
        .item_reader
        .as_ref()
        .and_then(|r| r.get("ReaderConfig"))
        .is_some_and(|rc| rc.get("MaxItems").is_some() || rc.get("MaxItemsPath").is_some());
    match (p.pushdown_description(), flatten && !limited) {
        (Some(d), true) => {
            lines.push(format!("predicate pushdown: {d}"));
            lines.push(
                "late materialization: the leading Choice's columns are decoded first; the other columns only for rows it keeps"
                    .to_string(),
            );
        }
        (Some(_), false) => lines.push(
            "predicate pushdown: off (it needs FLATTEN, where dropped items leave no output, and no MaxItems)"
                .to_string(),
        ),
        (None, _) => {}
    }
    lines
}
