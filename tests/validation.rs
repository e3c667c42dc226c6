//! Runs `asl validate` (the binary, as users and the held-out suite do) over the
//! labelled corpus in `../shared/validation` when it exists: valid files must give no
//! diagnostic, invalid files at least one, each located by a JSON Pointer. Contested
//! labels (see that README) are reported but not counted. Prints the agreement rates on
//! every run (harness = false).

use serde_json::Value;
use std::collections::HashMap;
use std::path::PathBuf;
use std::process::Command;

const VALID_TARGET: f64 = 0.97;
const INVALID_TARGET: f64 = 0.95;

fn main() {
    if let Err(msg) = run() {
        eprintln!("{msg}");
        std::process::exit(1);
    }
}

fn run() -> Result<(), String> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/validation");
    let Ok(manifest) = std::fs::read_to_string(dir.join("manifest.json")) else {
        println!("NOTICE: ../shared/validation not found; validation corpus skipped");
        return Ok(());
    };
    let manifest: Value =
        serde_json::from_str(&manifest).map_err(|e| format!("manifest.json: {e}"))?;
    let records: Vec<&Value> = manifest.as_array().into_iter().flatten().collect();
    let paths: Vec<String> = records
        .iter()
        .map(|r| {
            dir.join(r["label"].as_str().unwrap_or(""))
                .join(r["file"].as_str().unwrap_or(""))
                .display()
                .to_string()
        })
        .collect();
    let out = Command::new(env!("CARGO_BIN_EXE_asl"))
        .arg("validate")
        .arg("--format")
        .arg("json")
        .args(&paths)
        .output()
        .map_err(|e| format!("could not run asl: {e}"))?;
    let code = out.status.code().unwrap_or(-1);
    if code != 0 && code != 3 {
        return Err(format!(
            "asl validate exited with {code}: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let reports: Vec<Value> = serde_json::from_slice(&out.stdout)
        .map_err(|e| format!("asl validate --format json: {e}"))?;
    let by_file: HashMap<&str, &Value> = reports
        .iter()
        .map(|r| (r["file"].as_str().unwrap_or(""), r))
        .collect();
    let (mut valid_ok, mut valid_n, mut invalid_ok, mut invalid_n, mut unlocated) = (0, 0, 0, 0, 0);
    let mut report = Vec::new();
    for (rec, path) in records.iter().zip(&paths) {
        let label = rec["label"].as_str().unwrap_or_default();
        let contested = rec
            .get("contested")
            .is_some_and(|c| !c.is_null() && *c != false);
        let Some(r) = by_file.get(path.as_str()) else {
            return Err(format!("no report for {path}"));
        };
        let diags = r["diagnostics"].as_array().cloned().unwrap_or_default();
        let agrees = (label == "valid") == diags.is_empty();
        if label == "invalid"
            && !diags.is_empty()
            && diags
                .iter()
                .any(|d| d["message"].as_str().unwrap_or("").is_empty() || d["pointer"].is_null())
        {
            unlocated += 1;
        }
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
                    .map(|d| format!("{} {}", d["pointer"], d["message"]))
                    .collect::<Vec<_>>()
                    .join("; ")
            } else {
                format!("missed: {}", rec["reason"].as_str().unwrap_or_default())
            };
            let tag = if contested {
                " (contested, not counted)"
            } else {
                ""
            };
            report.push(format!(
                "  {label}/{}{tag}: {why}",
                rec["file"].as_str().unwrap_or("")
            ));
        }
    }
    let vr = valid_ok as f64 / valid_n.max(1) as f64;
    let ir = invalid_ok as f64 / invalid_n.max(1) as f64;
    println!("validation corpus (asl validate, default mode):");
    println!(
        "  valid files accepted:   {valid_ok}/{valid_n} = {:.1}% (target {:.0}%)",
        vr * 100.0,
        VALID_TARGET * 100.0
    );
    println!(
        "  invalid files rejected: {invalid_ok}/{invalid_n} = {:.1}% (target {:.0}%)",
        ir * 100.0,
        INVALID_TARGET * 100.0
    );
    if !report.is_empty() {
        println!("  disagreements:\n{}", report.join("\n"));
    }
    println!(
        "  agreement on {} of {} labelled files",
        valid_ok + invalid_ok,
        valid_n + invalid_n
    );
    if unlocated > 0 {
        return Err(format!(
            "{unlocated} invalid files got a diagnostic without pointer or message"
        ));
    }
    if vr < VALID_TARGET || ir < INVALID_TARGET {
        return Err(format!(
            "agreement below target: valid {vr:.3}, invalid {ir:.3}"
        ));
    }
    Ok(())
}
