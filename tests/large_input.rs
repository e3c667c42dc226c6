//! `asl run` on a large input whose first state is a Map over one of its arrays: the
//! input is split (its items parsed a chunk at a time, the results written straight
//! into the output) and the run prints what the ordinary path prints, byte for byte;
//! bad input gets the ordinary error.

mod harness;

use harness::{Dir, asl_in_root};
use serde_json::json;

/// An input over the split's threshold (8 MiB): `n` items with text to make it large.
fn large_input(dir: &Dir, n: usize, bad_item: Option<usize>) -> String {
    let mut text = String::from(r#"{"before": {"k": "]"}, "items": ["#);
    for i in 0..n {
        if i > 0 {
            text.push_str(",\n  ");
        }
        if bad_item == Some(i) {
            text.push_str(r#"{"a": 1, "b": tru}"#);
            continue;
        }
        // One item of another shape: its partition runs as rows, not through the kernels.
        let category = match i {
            777 => json!(7),
            _ => json!(["x", "y", "z"][i % 3]),
        };
        // Text that looks like item boundaries inside strings (where the parallel scan
        // may cut), escapes included.
        let pad = format!("p}},{{\"a\": [\\ \"]}}, {}", "p".repeat(20));
        let item = json!({"a": i % 700, "b": (i * 7) % 500, "name": format!("n\"{i}\u{e9}"),
            "category": category, "pad": pad});
        text.push_str(&item.to_string());
    }
    text.push_str(r#"], "after": [1, "}"]}"#);
    let path = dir.0.join("input.json");
    std::fs::write(&path, &text).unwrap();
    assert!(text.len() > 8 << 20, "the input must be over the threshold");
    path.to_str().unwrap().to_string()
}

#[test]
fn a_split_input_prints_what_the_whole_input_prints() {
    let dir = Dir::new();
    let input = large_input(&dir, 90_000, None);
    let def = "datasets/map/workflow.asl.json";
    // Split (a plain run) and whole (a report wants the input as it is).
    let (code_split, out_split, err_split) =
        asl_in_root(&["run", def, "--input", &input, "--quiet"]);
    let (code_whole, report, err_whole) =
        asl_in_root(&["run", def, "--input", &input, "--quiet", "--report", "json"]);
    assert_eq!(code_split, Some(0), "{err_split}");
    assert_eq!(code_whole, Some(0), "{err_whole}");
    let report: serde_json::Value = serde_json::from_str(&report).unwrap();
    // The report is compact JSON: its output's text is the plain run's, byte for byte.
    let out_whole = format!("{}\n", report["output"]);
    assert!(out_split == out_whole, "the outputs differ");
    let warnings = |err: &str| {
        err.lines()
            .filter(|l| l.starts_with("asl run: warning"))
            .map(str::to_string)
            .collect::<Vec<_>>()
    };
    assert_eq!(warnings(&err_split), warnings(&err_whole));
    assert_eq!(warnings(&err_split).len(), 3, "{err_split}");
    let out: serde_json::Value = serde_json::from_str(&out_split).unwrap();
    assert_eq!(out.as_array().unwrap().len(), 90_000);
    assert_eq!(out[1]["label"], "n\"1\u{e9} of y");
    assert_eq!(out[777]["label"], "n\"777\u{e9} of 7");
}

#[test]
fn a_bad_item_in_a_large_input_gets_the_ordinary_error_before_anything_runs() {
    let dir = Dir::new();
    let input = large_input(&dir, 90_000, Some(80_000));
    let (code, out, err) =
        asl_in_root(&["run", "datasets/map/workflow.asl.json", "--input", &input]);
    assert_eq!(code, Some(2), "{err}");
    assert!(out.is_empty());
    assert!(
        err.contains("the input is not valid JSON: expected ident at line"),
        "{err}"
    );
}
