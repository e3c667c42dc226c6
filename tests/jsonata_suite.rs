//! Runs the JSONata reference suite (jsonata-js `test/test-suite`, one JSON file per case
//! in `../shared/jsonata/cases/<group>/<name>.json`, or the folder `ASL_JSONATA_CASES`
//! names) through the built `asl jsonata --report json` binary, two processes at a time.
//!
//! Cases added after JSONata 2.0.6 (`in_v2_0_6: false`) and the `function-eval` group are
//! outside Step Functions' scope (it runs 2.0.6 and has no `$eval`): they are counted
//! apart and may fail by design (`??` and `?:` are rejected). An in-scope failure fails
//! the run unless `tests/jsonata/known_failures.txt` lists it (`group/name reason`); a
//! listed case that passes fails the run too, so the list stays honest.

mod harness;

use harness::TempPath;
use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde_json::Value;

const WORKERS: usize = 2;

struct Case {
    id: String,
    group: String,
    file: PathBuf,
    in_scope: bool,
    json: Value,
}

fn cases_dir() -> PathBuf {
    match std::env::var_os("ASL_JSONATA_CASES") {
        Some(d) => PathBuf::from(d),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/jsonata/cases"),
    }
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            collect(&p, out);
        } else if p.extension().is_some_and(|x| x == "json") {
            out.push(p);
        }
    }
}

fn known_failures() -> BTreeMap<String, String> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/jsonata/known_failures.txt");
    let text = std::fs::read_to_string(p).unwrap_or_default();
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| match l.split_once(char::is_whitespace) {
            Some((id, reason)) => (id.to_string(), reason.trim().to_string()),
            None => (l.to_string(), String::new()),
        })
        .collect()
}

/// Numbers by value, objects without key order, `unordered` arrays as multisets.
fn equal(a: &Value, b: &Value, unordered: bool) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::Array(x), Value::Array(y)) => {
            if x.len() != y.len() {
                return false;
            }
            if !unordered {
                return x.iter().zip(y).all(|(a, b)| equal(a, b, false));
            }
            let mut used = vec![false; y.len()];
            x.iter().all(|a| {
                let hit = y
                    .iter()
                    .enumerate()
                    .position(|(i, b)| !used[i] && equal(a, b, false));
                hit.map(|i| used[i] = true).is_some()
            })
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| equal(v, w, false)))
        }
        _ => a == b,
    }
}

/// Runs one case; `Err` says why it failed.
fn run(case: &Case, tmp: &Path, slot: usize) -> Result<(), String> {
    let c = &case.json;
    let expr = c["expr"].as_str().ok_or("case without expr")?;
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_asl"));
    cmd.args(["jsonata", "--report", "json"]);
    let data = c.get("data");
    if data.is_some() {
        cmd.args(["--input", "-"]);
    }
    if let Some(b) = c
        .get("bindings")
        .filter(|b| b.as_object().is_some_and(|m| !m.is_empty()))
    {
        let f = tmp.join(format!("bindings-{slot}.json"));
        std::fs::write(&f, b.to_string()).map_err(|e| e.to_string())?;
        cmd.arg("--bindings").arg(f);
    }
    let mut limit = Duration::from_secs(20);
    if let Some(t) = c.get("timelimit").and_then(Value::as_u64) {
        cmd.args(["--timeout-ms", &t.to_string()]);
        limit = limit.max(Duration::from_millis(4 * t));
    }
    if let Some(d) = c.get("depth").and_then(Value::as_u64) {
        cmd.args(["--max-depth", &d.to_string()]);
    }
    cmd.arg("--").arg(expr);
    cmd.stdin(if data.is_some() {
        Stdio::piped()
    } else {
        Stdio::null()
    });
    cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = cmd.spawn().map_err(|e| format!("spawn: {e}"))?;
    if let Some(d) = data {
        let mut stdin = child.stdin.take().ok_or("no stdin")?;
        let text = d.to_string();
        std::thread::spawn(move || {
            let _ = stdin.write_all(text.as_bytes());
        });
    }
    let start = Instant::now();
    loop {
        match child.try_wait() {
            Ok(Some(_)) => break,
            Ok(None) if start.elapsed() > limit => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("hang: killed after {limit:?}"));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(1)),
            Err(e) => return Err(e.to_string()),
        }
    }
    let out = child.wait_with_output().map_err(|e| e.to_string())?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let got: Value = serde_json::from_str(stdout.trim()).map_err(|_| {
        format!(
            "no report (exit {:?}): {} {}",
            out.status.code(),
            stdout.trim(),
            String::from_utf8_lossy(&out.stderr).trim()
        )
    })?;
    let unordered = c.get("unordered").and_then(Value::as_bool).unwrap_or(false);
    if let Some(code) = c.get("code").and_then(Value::as_str) {
        return match got["error"]["code"].as_str() {
            Some(g) if g == code => Ok(()),
            _ => Err(format!("expected error {code}, got {got}")),
        };
    }
    if c.get("undefinedResult").and_then(Value::as_bool) == Some(true) {
        return if got.get("undefined").is_some() {
            Ok(())
        } else {
            Err(format!("expected undefined, got {got}"))
        };
    }
    let want = c
        .get("result")
        .ok_or("case without result, undefinedResult or code")?;
    match got.get("result") {
        Some(r) if equal(r, want, unordered) => Ok(()),
        _ => Err(format!("expected {{\"result\":{want}}}, got {got}")),
    }
}

fn main() {
    let dir = cases_dir();
    let mut files = Vec::new();
    collect(&dir, &mut files);
    if files.is_empty() {
        println!(
            "NOTICE: {} not found or empty; JSONata reference suite skipped",
            dir.display()
        );
        return;
    }
    files.sort();
    let filter = std::env::args().skip(1).find(|a| !a.starts_with('-'));
    let mut cases = Vec::new();
    for f in files {
        let group = f
            .parent()
            .and_then(Path::file_name)
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let name = f
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let id = format!("{group}/{name}");
        if filter
            .as_ref()
            .is_some_and(|flt| !id.contains(flt.as_str()))
        {
            continue;
        }
        let json: Value = match std::fs::read_to_string(&f)
            .ok()
            .and_then(|t| serde_json::from_str(&t).ok())
        {
            Some(j) => j,
            None => {
                println!("FAIL {id}: unreadable case file {}", f.display());
                std::process::exit(1);
            }
        };
        let in_scope = json.get("in_v2_0_6").and_then(Value::as_bool) != Some(false)
            && group != "function-eval";
        cases.push(Case {
            id,
            group,
            file: f,
            in_scope,
            json,
        });
    }
    // Removed on drop, also when a worker panics; dropped by hand below, before any
    // `std::process::exit`, which runs no destructors.
    let tmp = TempPath::new(
        std::env::temp_dir().join(format!("asl-jsonata-suite-{}", std::process::id())),
    );
    std::fs::create_dir_all(&tmp).expect("temp dir");
    let start = Instant::now();
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<Result<(), String>>>> = Mutex::new(vec![None; cases.len()]);
    std::thread::scope(|s| {
        for slot in 0..WORKERS {
            let (cases, next, results, tmp) = (&cases, &next, &results, &*tmp);
            s.spawn(move || {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(case) = cases.get(i) else { break };
                    let r = run(case, tmp, slot);
                    results.lock().unwrap()[i] = Some(r);
                }
            });
        }
    });
    drop(tmp);
    let elapsed = start.elapsed();
    let results = results.into_inner().unwrap();
    let known = known_failures();

    let (mut passed, mut in_total, mut in_passed, mut out_total, mut out_passed) = (0, 0, 0, 0, 0);
    let mut known_failed = 0;
    let mut unexpected = Vec::new();
    let mut by_group: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    for (case, r) in cases.iter().zip(&results) {
        let ok = matches!(r, Some(Ok(())));
        let g = by_group.entry(&case.group).or_default();
        g.1 += 1;
        if ok {
            passed += 1;
            g.0 += 1;
        }
        if case.in_scope {
            in_total += 1;
            in_passed += ok as usize;
            match (ok, known.get(&case.id)) {
                (true, Some(_)) => unexpected.push(format!(
                    "PASS {} is listed in tests/jsonata/known_failures.txt: remove it",
                    case.id
                )),
                (false, Some(_)) => known_failed += 1,
                (false, None) => {
                    let why = match r {
                        Some(Err(e)) => e.clone(),
                        _ => "not run".into(),
                    };
                    unexpected.push(format!("FAIL {} ({}): {why}", case.id, case.file.display()));
                }
                (true, None) => {}
            }
        } else {
            out_total += 1;
            out_passed += ok as usize;
        }
    }
    let pct = |a: usize, b: usize| {
        if b == 0 {
            100.0
        } else {
            100.0 * a as f64 / b as f64
        }
    };
    for (g, (p, t)) in &by_group {
        if p != t {
            println!("group {g}: {p}/{t}");
        }
    }
    println!(
        "jsonata suite: {passed}/{} passed overall ({:.2}%); in Step Functions' scope {in_passed}/{in_total} ({:.2}%); \
         outside it (after 2.0.6 or $eval) {out_passed}/{out_total}; {known_failed} known failures; {:.1} s",
        cases.len(),
        pct(passed, cases.len()),
        pct(in_passed, in_total),
        elapsed.as_secs_f64()
    );
    if !unexpected.is_empty() {
        for u in &unexpected {
            println!("{u}");
        }
        println!("jsonata: {} unexpected result(s)", unexpected.len());
        std::process::exit(1);
    }
    println!(
        "jsonata: {passed} passed, 0 failed, {} skipped",
        cases.len() - passed
    );
}
