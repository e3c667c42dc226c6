//! Runs the labelled corpus in `shared/validation` (see its README): valid files must
//! give no diagnostics, invalid files at least one. Contested labels (README section
//! "Contested labels") are reported but not counted.

use super::{Options, validate_text};
use serde_json::Value;
use std::path::PathBuf;

const VALID_TARGET: f64 = 0.97;
const INVALID_TARGET: f64 = 0.95;

fn corpus_dir() -> Option<PathBuf> {
    let local = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/validation");
    [local, PathBuf::from("/work/shared/validation")]
        .into_iter()
        .find(|p| p.join("manifest.json").is_file())
}

#[test]
fn corpus_agreement() {
    let Some(dir) = corpus_dir() else {
        println!("NOTICE: validation corpus not found; corpus test skipped");
        return;
    };
    let manifest: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("manifest.json")).unwrap()).unwrap();
    let opts = Options::default();
    let (mut valid_ok, mut valid_n, mut invalid_ok, mut invalid_n) = (0, 0, 0, 0);
    let mut report = Vec::new();
    for rec in manifest.as_array().into_iter().flatten() {
        let file = rec["file"].as_str().unwrap_or_default();
        let label = rec["label"].as_str().unwrap_or_default();
        let contested = rec
            .get("contested")
            .is_some_and(|c| !c.is_null() && *c != false);
        let Ok(text) = std::fs::read_to_string(dir.join(label).join(file)) else {
            continue;
        };
        let diags = validate_text(&text, &opts);
        let agrees = (label == "valid") == diags.is_empty();
        if !contested {
            if label == "valid" {
                valid_n += 1;
                valid_ok += agrees as usize;
            } else {
                invalid_n += 1;
                invalid_ok += agrees as usize;
            }
        }
        if !agrees {
            let why = if label == "valid" {
                diags
                    .iter()
                    .map(|d| format!("[{}] {d}", d.code))
                    .collect::<Vec<_>>()
                    .join("; ")
            } else {
                rec["reason"].as_str().unwrap_or_default().to_string()
            };
            let tag = if contested {
                " (contested, not counted)"
            } else {
                ""
            };
            report.push(format!("  {label}/{file}{tag}: {why}"));
        }
    }
    let vr = valid_ok as f64 / valid_n.max(1) as f64;
    let ir = invalid_ok as f64 / invalid_n.max(1) as f64;
    println!(
        "valid agreement:   {valid_ok}/{valid_n} = {:.1}%",
        vr * 100.0
    );
    println!(
        "invalid agreement: {invalid_ok}/{invalid_n} = {:.1}%",
        ir * 100.0
    );
    println!("disagreements:\n{}", report.join("\n"));
    assert!(
        vr >= VALID_TARGET,
        "valid agreement {vr:.3} below {VALID_TARGET}"
    );
    assert!(
        ir >= INVALID_TARGET,
        "invalid agreement {ir:.3} below {INVALID_TARGET}"
    );
}

/// Prints every diagnostic of every invalid file (run with --ignored --nocapture).
#[test]
#[ignore]
fn corpus_dump() {
    let Some(dir) = corpus_dir() else { return };
    let mut names: Vec<_> = std::fs::read_dir(dir.join("invalid"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    names.sort();
    for p in names {
        let text = std::fs::read_to_string(&p).unwrap_or_default();
        println!("{}", p.file_name().unwrap().to_string_lossy());
        for d in validate_text(&text, &Options::default()) {
            println!("    [{}] {d}", d.code);
        }
    }
}

/// Robustness: every corpus file cut short at many points, and with each state's
/// fields replaced by odd values, validates without panicking.
#[test]
fn corpus_mutations_do_not_panic() {
    let Some(dir) = corpus_dir() else { return };
    let odd = [
        Value::Null,
        Value::Bool(true),
        serde_json::json!(-1.5),
        serde_json::json!("{% %"),
        serde_json::json!([]),
        serde_json::json!({}),
    ];
    for label in ["valid", "invalid"] {
        for entry in std::fs::read_dir(dir.join(label)).unwrap().flatten() {
            let text = std::fs::read_to_string(entry.path()).unwrap_or_default();
            let step = (text.len() / 8).max(1);
            for cut in (0..text.len()).step_by(step) {
                if text.is_char_boundary(cut) {
                    let _ = validate_text(&text[..cut], &Options::default());
                }
            }
            let Ok(Value::Object(def)) = serde_json::from_str::<Value>(&text) else {
                continue;
            };
            let Some(Value::Object(states)) = def.get("States") else {
                continue;
            };
            for (name, st) in states {
                let Value::Object(fields) = st else { continue };
                for field in fields.keys() {
                    for o in &odd {
                        let mut d = Value::Object(def.clone());
                        d["States"][name][field] = o.clone();
                        let _ = super::validate_value(&d, &Options { strict_aws: true });
                    }
                }
            }
        }
    }
}
