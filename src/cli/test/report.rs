//! What `asl test` prints and writes: the summary a person reads at a glance (each
//! failed case with what differs, path by path), and JUnit XML for CI.

use serde_json::Value;
use std::time::Duration;

/// How one case went: no failures is a pass.
#[derive(Debug, Clone)]
pub struct CaseResult {
    pub name: String,
    pub seconds: f64,
    pub failures: Vec<String>,
}

/// The differences between `want` and `got` under `path` (`output.items[2].sku:
/// expected "A", got "B"`); with `subset`, `got` may have more fields than `want`.
pub fn json_diff(path: &str, want: &Value, got: &Value, subset: bool) -> Vec<String> {
    let mut out = Vec::new();
    diff_into(path, want, got, subset, &mut out);
    out
}

fn diff_into(path: &str, want: &Value, got: &Value, subset: bool, out: &mut Vec<String>) {
    match (want, got) {
        (Value::Object(w), Value::Object(g)) => {
            for (k, wv) in w {
                let p = format!("{path}.{k}");
                match g.get(k) {
                    Some(gv) => diff_into(&p, wv, gv, subset, out),
                    None => out.push(format!("{p}: expected {wv}, missing")),
                }
            }
            if !subset {
                for (k, gv) in g {
                    if !w.contains_key(k) {
                        out.push(format!("{path}.{k}: not expected, got {gv}"));
                    }
                }
            }
        }
        (Value::Array(w), Value::Array(g))
            if w.len() == g.len() || subset && w.len() <= g.len() =>
        {
            for (i, wv) in w.iter().enumerate() {
                diff_into(&format!("{path}[{i}]"), wv, &g[i], subset, out);
            }
        }
        (Value::Array(w), Value::Array(g)) => out.push(format!(
            "{path}: expected {} items, got {}: {}",
            w.len(),
            g.len(),
            shorten(got)
        )),
        (Value::Number(w), Value::Number(g)) if w.as_f64() == g.as_f64() => {}
        _ if want == got => {}
        _ => out.push(format!(
            "{path}: expected {}, got {}",
            shorten(want),
            shorten(got)
        )),
    }
}

fn shorten(v: &Value) -> String {
    let s = v.to_string();
    if s.chars().count() > 200 {
        format!("{}…", s.chars().take(200).collect::<String>())
    } else {
        s
    }
}

pub fn print_summary(by_file: &[(String, Vec<CaseResult>)], elapsed: Duration, verbose: bool) {
    let (mut passed, mut failed) = (0usize, 0usize);
    for (file, cases) in by_file {
        let bad = cases.iter().filter(|c| !c.failures.is_empty()).count();
        passed += cases.len() - bad;
        failed += bad;
        let mark = if bad == 0 { "ok  " } else { "FAIL" };
        println!(
            "{mark} {file}: {} of {} cases passed",
            cases.len() - bad,
            cases.len()
        );
        for c in cases {
            if !c.failures.is_empty() {
                println!("  ✗ {}", c.name);
                for f in &c.failures {
                    println!("      {f}");
                }
            } else if verbose {
                println!("  ✓ {} ({:.1} ms)", c.name, c.seconds * 1000.0);
            }
        }
    }
    let total = passed + failed;
    let secs = elapsed.as_secs_f64();
    println!(
        "{} {passed} passed, {failed} failed, {total} cases in {:.2} s ({:.0} cases/s)",
        if failed == 0 { "PASSED" } else { "FAILED" },
        secs,
        total as f64 / secs.max(1e-9)
    );
}

fn xml_escape(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '&' => "&amp;".to_string(),
            '<' => "&lt;".to_string(),
            '>' => "&gt;".to_string(),
            '"' => "&quot;".to_string(),
            '\'' => "&apos;".to_string(),
            c if (c as u32) < 0x20 && !matches!(c, '\n' | '\t' | '\r') => " ".to_string(),
            c => c.to_string(),
        })
        .collect()
}

/// JUnit XML: a `testsuite` per file, a `testcase` per case, a `failure` with what
/// differs.
pub fn junit(by_file: &[(String, Vec<CaseResult>)], elapsed: Duration) -> String {
    let total: usize = by_file.iter().map(|(_, c)| c.len()).sum();
    let failures: usize = by_file
        .iter()
        .flat_map(|(_, c)| c)
        .filter(|c| !c.failures.is_empty())
        .count();
    let mut x = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"asl test\" tests=\"{total}\" failures=\"{failures}\" errors=\"0\" time=\"{:.3}\">\n",
        elapsed.as_secs_f64()
    );
    for (file, cases) in by_file {
        let bad = cases.iter().filter(|c| !c.failures.is_empty()).count();
        let time: f64 = cases.iter().map(|c| c.seconds).sum();
        x.push_str(&format!(
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{bad}\" errors=\"0\" skipped=\"0\" time=\"{time:.3}\">\n",
            xml_escape(file),
            cases.len()
        ));
        for c in cases {
            x.push_str(&format!(
                "    <testcase classname=\"{}\" name=\"{}\" time=\"{:.3}\"",
                xml_escape(file),
                xml_escape(&c.name),
                c.seconds
            ));
            if c.failures.is_empty() {
                x.push_str("/>\n");
            } else {
                x.push_str(&format!(
                    ">\n      <failure message=\"{}\">{}</failure>\n    </testcase>\n",
                    xml_escape(&c.failures[0]),
                    xml_escape(&c.failures.join("\n"))
                ));
            }
        }
        x.push_str("  </testsuite>\n");
    }
    x.push_str("</testsuites>\n");
    x
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn diffs_name_each_path() {
        let want = json!({"a": 1, "b": [1, {"c": "x"}], "gone": true});
        let got = json!({"a": 1.0, "b": [1, {"c": "y"}], "extra": 2});
        assert_eq!(
            json_diff("output", &want, &got, false),
            [
                "output.b[1].c: expected \"x\", got \"y\"",
                "output.gone: expected true, missing",
                "output.extra: not expected, got 2"
            ]
        );
        assert_eq!(
            json_diff("output", &json!({"b": [1]}), &got, true),
            Vec::<String>::new()
        );
    }
}
