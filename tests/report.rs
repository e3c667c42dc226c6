//! Reports without a server: `asl run … --report html FILE` (one self-contained page:
//! the coloured graph, the events, the Maps' progress, the output or error) and
//! `asl bench … --plot FILE.svg` (the scaling curve). Never timings.

mod harness;

use harness::{Dir, asl_in_root};
use serde_json::{Value, json};

const ORDERS: [&str; 4] = [
    "datasets/orders/workflow.asl.json",
    "--resources",
    "datasets/orders/resources.json",
    "--clock",
];

/// `asl run` in the repository root; (exit code, stdout, stderr).
fn run(args: &[&str]) -> (i32, String, String) {
    let (code, out, err) = asl_in_root(args);
    (code.expect("asl exits normally"), out, err)
}

/// Runs with `--report html FILE` and returns (exit code, the page).
fn html_report(dir: &Dir, args: &[&str]) -> (i32, String) {
    let file = dir.0.join("report.html");
    let file = file.to_str().expect("UTF-8 path");
    let mut all: Vec<&str> = vec!["run"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--report", "html", file]);
    let (code, _, err) = run(&all);
    let page = std::fs::read_to_string(file)
        .unwrap_or_else(|e| panic!("no report written ({e}); stderr: {err}"));
    (code, page)
}

/// The events `--history --report json` records for the same run.
fn json_history(args: &[&str]) -> Vec<Value> {
    let mut all: Vec<&str> = vec!["run"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--history", "--report", "json"]);
    let (_, out, err) = run(&all);
    let r: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out} {err}"));
    r["history"].as_array().expect("a history").clone()
}

/// The status class of the graph node of state `name` (`succeeded`, `not-reached` …).
fn status_of(page: &str, name: &str) -> String {
    let key = format!("\" data-state=\"{name}\"");
    let at = page
        .find(&key)
        .unwrap_or_else(|| panic!("no node for state {name}"));
    let before = &page[..at];
    let start = before.rfind("class=\"state st-").expect("a state node") + 16;
    before[start..].to_string()
}

/// The page is one document that loads nothing: no src or href to the network, no
/// link or import of any kind.
fn assert_self_contained(page: &str) {
    assert!(page.starts_with("<!doctype html>"), "{}", &page[..50]);
    assert_eq!(page.matches("<html").count(), 1);
    assert_eq!(page.matches("</html>").count(), 1);
    let lower = page.to_ascii_lowercase();
    for attr in ["src=", "href=", "xlink:href="] {
        for (i, _) in lower.match_indices(attr) {
            let value = lower[i + attr.len()..].trim_start_matches(['"', '\'']);
            assert!(
                !value.starts_with("http:")
                    && !value.starts_with("https:")
                    && !value.starts_with("//"),
                "a network reference: {}",
                &page[i..(i + 80).min(page.len())]
            );
        }
    }
    for needle in [
        "<link",
        "@import",
        "<iframe",
        "url(http",
        "fetch(",
        "xmlhttprequest",
    ] {
        assert!(!lower.contains(needle), "the page uses {needle}");
    }
}

/// Rows of the events table (the row of left-out events not counted).
fn event_rows(page: &str) -> usize {
    page.matches("<tr class=\"ev\">").count() + page.matches("<tr class=\"ev ev-failed\">").count()
}

/// An attribute's value in `tag` (the text of one element's start tag).
fn attr<'a>(tag: &'a str, name: &str) -> Option<&'a str> {
    let key = format!(" {name}=\"");
    let i = tag.find(&key)? + key.len();
    Some(&tag[i..i + tag[i..].find('"')?])
}

/// The Map progress chart of `map`: its element's start tag and its "items done"
/// points' (x, y), in order.
fn progress_chart(page: &str, map: &str) -> (String, Vec<(f64, f64)>) {
    let key = format!("data-map=\"{map}\"");
    let at = page
        .match_indices(&key)
        .map(|(i, _)| i)
        .find(|&i| {
            page[..i]
                .rfind('<')
                .is_some_and(|s| page[s..].starts_with("<svg"))
        })
        .unwrap_or_else(|| panic!("no progress chart for {map}"));
    let start = page[..at].rfind('<').expect("a start tag");
    let end = start + page[start..].find("</svg>").expect("the chart ends");
    let chart = &page[start..end];
    let tag = chart[..chart.find('>').expect("a tag")].to_string();
    let points = chart
        .split("<circle ")
        .skip(1)
        .filter(|c| attr(c, "data-series") == Some("items done"))
        .map(|c| {
            let n = |k| {
                attr(c, k)
                    .and_then(|v| v.parse::<f64>().ok())
                    .expect("a number")
            };
            (n("data-x"), n("data-y"))
        })
        .collect();
    (tag, points)
}

#[test]
fn orders_report_colours_what_ran() {
    let dir = Dir::new();
    let args = [
        &ORDERS[..],
        &["virtual", "--input", "datasets/orders/input.json"],
    ]
    .concat();
    let (code, page) = html_report(&dir, &args);
    assert_eq!(code, 0);
    assert_self_contained(&page);
    for s in [
        "ValidatePayment",
        "CheckPayment",
        "ProcessAllItems",
        "SendOrderSummary",
    ] {
        assert_eq!(status_of(&page, s), "succeeded", "{s}");
    }
    assert_eq!(status_of(&page, "PaymentFailed"), "not-reached");
    // Inside the Map, each state shows its last iteration: the out-of-stock item's
    // error is caught, the others' succeed, and the iterations (three at a time) end
    // in any order. Their events interleave, and without previousEventId a failure
    // can be read as the innermost open state's of another iteration, so only "it
    // ran" is certain.
    let inner: Vec<String> = [
        "CheckAvailability",
        "PrepareForDelivery",
        "StartDelivery",
        "ItemUnavailable",
    ]
    .iter()
    .map(|s| status_of(&page, s))
    .collect();
    for st in &inner {
        assert!(st == "succeeded" || st == "caught", "{inner:?}");
    }
    let check = &inner[0];
    assert!(page.contains("class=\"badge SUCCEEDED\""));
    assert!(page.contains("<pre id=\"asl-output\">"));
    assert!(page.contains("PARTIALLY_SHIPPED"));

    // One row per event of the history.
    let history = json_history(&args);
    assert_eq!(event_rows(&page), history.len());
    assert!(page.contains(&format!("data-total=\"{}\"", history.len())));
    assert!(page.contains("data-left-out=\"0\""));

    // The Map's 4 items, the last point of its curve at 4.
    let (tag, points) = progress_chart(&page, "ProcessAllItems");
    assert_eq!(attr(&tag, "data-items"), Some("4"));
    assert_eq!(points.last().map(|p| p.1), Some(4.0));

    // What clicking a state shows travels as JSON in the page.
    let data = page
        .split("<script type=\"application/json\" id=\"asl-data\">")
        .nth(1)
        .and_then(|s| s.split("</script>").next())
        .expect("the embedded data");
    let data: Value = serde_json::from_str(data).expect("JSON");
    assert_eq!(
        data["states"]["CheckAvailability"]["status"],
        check.as_str()
    );
    assert_eq!(data["states"]["CheckAvailability"]["entered"], 4);
    assert!(data["states"]["ValidatePayment"]["output"].is_string());
    assert!(data["states"].get("PaymentFailed").is_none());
}

#[test]
fn failed_payment_report_shows_the_failed_path() {
    let dir = Dir::new();
    let args = [
        &ORDERS[..],
        &[
            "virtual",
            "--input",
            "datasets/orders/input-payment-failed.json",
        ],
    ]
    .concat();
    let (code, page) = html_report(&dir, &args);
    assert_eq!(code, 1);
    assert_self_contained(&page);
    assert_eq!(status_of(&page, "ValidatePayment"), "succeeded");
    assert_eq!(status_of(&page, "CheckPayment"), "succeeded");
    assert_eq!(status_of(&page, "PaymentFailed"), "failed");
    assert_eq!(status_of(&page, "ProcessAllItems"), "not-reached");
    assert_eq!(status_of(&page, "SendOrderSummary"), "not-reached");
    assert!(page.contains("class=\"badge FAILED\""));
    assert!(page.contains("<span class=\"error-name\" id=\"asl-error\">PaymentFailed</span>"));
    assert!(page.contains("The payment of the order could not be validated"));
    assert_eq!(event_rows(&page), json_history(&args).len());
    // The Map never ran: no curve, and the page says so.
    assert!(page.contains("class=\"map-not-run\" data-map=\"ProcessAllItems\""));
}

#[test]
fn map_report_plots_every_item() {
    let dir = Dir::new();
    let items: Vec<Value> = (0..300)
        .map(|i| json!({"a": i, "b": i * 3, "name": format!("n{i}"), "category": "c"}))
        .collect();
    let input = dir.0.join("input.json");
    std::fs::write(&input, json!({ "items": items }).to_string()).unwrap();
    let args = [
        "datasets/map/workflow.asl.json",
        "--input",
        input.to_str().unwrap(),
    ];
    let (code, page) = html_report(&dir, &args);
    assert_eq!(code, 0);
    assert_self_contained(&page);
    for s in ["ProcessItems", "Compute", "Classify", "Big", "Small"] {
        assert_eq!(status_of(&page, s), "succeeded", "{s}");
    }
    let (tag, points) = progress_chart(&page, "ProcessItems");
    assert_eq!(attr(&tag, "data-items"), Some("300"));
    assert_eq!(points.last().map(|p| p.1), Some(300.0));
    assert_eq!(event_rows(&page), json_history(&args).len());
}

#[test]
fn long_histories_keep_their_ends() {
    let dir = Dir::new();
    let out = dir.0.join("out");
    std::fs::create_dir_all(&out).unwrap();
    let bucket = format!("out={}", out.display());
    let args = [
        "datasets/logs/classify.asl.json",
        "--bucket",
        "logs=datasets/logs",
        "--bucket",
        &bucket,
    ];
    let (code, page) = html_report(&dir, &args);
    assert_eq!(code, 0);
    let total = json_history(&args).len();
    assert!(total > 5_000, "{total} events");
    assert_eq!(event_rows(&page), 4_000);
    assert!(page.contains(&format!("data-left-out=\"{}\"", total - 4_000)));
    assert!(page.contains(&format!("… {} events left out …", total - 4_000)));
    // The last event is shown; the Distributed Map's 1,000 items are on its curve.
    assert!(page.contains(&format!("<td>{total}</td>")));
    let (_, points) = progress_chart(&page, "ClassifyLines");
    assert_eq!(points.last().map(|p| p.1), Some(1000.0));
}

#[test]
fn names_inputs_and_outputs_are_escaped() {
    let dir = Dir::new();
    let evil = "<script>alert(1)</script>";
    let def = json!({
        "Comment": "</title><script>alert(2)</script>",
        "StartAt": evil,
        "States": {
            evil: {"Type": "Pass", "Next": "Then"},
            "Then": {"Type": "Pass", "Result": {"html": "</script><img src=x onerror=alert(3)>"}, "End": true}
        }
    });
    let def_path = dir.0.join("evil.asl.json");
    std::fs::write(&def_path, def.to_string()).unwrap();
    let input = dir.0.join("input.json");
    std::fs::write(
        &input,
        json!({"x": "<b onmouseover=alert(4)>hi</b>"}).to_string(),
    )
    .unwrap();
    let (code, page) = html_report(
        &dir,
        &[
            def_path.to_str().unwrap(),
            "--input",
            input.to_str().unwrap(),
        ],
    );
    assert_eq!(code, 0);
    assert_self_contained(&page);
    assert!(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert_eq!(
        status_of(&page, "&lt;script&gt;alert(1)&lt;/script&gt;"),
        "succeeded"
    );
    for raw in [
        "<script>alert",
        "<img",
        "<b onmouseover",
        "</title><script>",
    ] {
        assert!(!page.contains(raw), "unescaped: {raw}");
    }
    // The data and the code: the only script elements.
    assert_eq!(page.matches("<script").count(), 2);
    assert_eq!(page.matches("</script>").count(), 2);
}

#[test]
fn json_report_is_unchanged() {
    let args = [
        &ORDERS[..],
        &[
            "virtual",
            "--input",
            "datasets/orders/input-payment-failed.json",
            "--report",
            "json",
        ],
    ]
    .concat();
    let mut all = vec!["run"];
    all.extend_from_slice(&args);
    let (code, out, _) = run(&all);
    assert_eq!(code, 1);
    assert_eq!(
        serde_json::from_str::<Value>(&out).unwrap(),
        json!({
            "status": "FAILED",
            "output": null,
            "error": "PaymentFailed",
            "cause": "The payment of the order could not be validated"
        })
    );
    assert_eq!(out.lines().count(), 1);
    // The flag may come before the definition, as before.
    let (code2, out2, _) = run(&[
        "run",
        "--report",
        "json",
        "datasets/orders/workflow.asl.json",
        "--input",
        "datasets/orders/input-payment-failed.json",
        "--resources",
        "datasets/orders/resources.json",
    ]);
    assert_eq!((code2, out2), (code, out));
    // Only html takes a FILE, and it needs one.
    let def = "datasets/orders/workflow.asl.json";
    for bad in [
        &["run", def, "--report", "json", "x.json"][..],
        &["run", def, "--report", "html"][..],
        &["run", def, "--report", "xml"][..],
    ] {
        let (code, _, err) = run(bad);
        assert_eq!(code, 2, "{bad:?}: {err}");
        assert!(err.contains("--report"), "{err}");
    }
}

#[test]
fn bench_plot_is_a_well_formed_svg_with_a_point_per_pool_size() {
    let dir = Dir::new();
    let def = dir.0.join("map.asl.json");
    std::fs::write(
        &def,
        json!({"StartAt": "Each", "States": {"Each": {"Type": "Map", "ItemsPath": "$.xs",
            "ItemProcessor": {"StartAt": "Add", "States": {"Add": {"Type": "Pass",
            "Parameters": {"v.$": "States.MathAdd($, 1)"}, "End": true}}}, "End": true}}})
        .to_string(),
    )
    .unwrap();
    let input = dir.0.join("input.json");
    std::fs::write(
        &input,
        json!({"xs": (0..50).collect::<Vec<i32>>()}).to_string(),
    )
    .unwrap();
    let plot = dir.0.join("scaling.svg");
    let (code, _, err) = run(&[
        "bench",
        def.to_str().unwrap(),
        "--input",
        input.to_str().unwrap(),
        "--threads",
        "1,2",
        "--runs",
        "1",
        "--quiet",
        "--plot",
        plot.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    let svg = std::fs::read_to_string(&plot).expect("the plot is written");
    assert!(svg.starts_with("<?xml"));
    // Nothing but the SVG namespace names a URL.
    assert_eq!(
        svg.matches("http").count(),
        svg.matches("xmlns=\"http://www.w3.org/2000/svg\"").count()
    );
    // Parsed as XML: the points of each series and their thread counts.
    let script = r#"
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
ns = '{http://www.w3.org/2000/svg}'
assert root.tag == ns + 'svg', root.tag
for series in ['items/s', 'measured']:
    pts = [c for c in root.iter(ns + 'circle') if c.get('data-series') == series]
    print(series, ','.join(c.get('data-x') for c in pts))
ideal = [p for p in root.iter(ns + 'path') if p.get('data-series') == 'ideal (linear)']
print('ideal', len(ideal), ideal[0].get('stroke-dasharray') is not None)
"#;
    let o = std::process::Command::new("python3")
        .args(["-c", script, plot.to_str().unwrap()])
        .output()
        .expect("python3 runs");
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(
        o.status.success(),
        "not well-formed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert_eq!(
        text.lines().collect::<Vec<_>>(),
        ["items/s 1,2", "measured 1,2", "ideal 1 True"]
    );
    // The speed-up at 1 thread is 1 by definition.
    assert!(svg.contains("data-series=\"measured\" data-x=\"1\" data-y=\"1\""));
}

/// StateExited events carry the variables their state assigned, as AWS records them
/// (`assignedVariables`: name → JSON text), and only their own: a Parallel's branch
/// states keep theirs, the Parallel gets its own Assign's.
#[test]
fn exited_events_carry_the_variables_their_state_assigned() {
    let dir = Dir::new();
    let def = dir.0.join("assign.asl.json");
    std::fs::write(
        &def,
        json!({"StartAt": "A", "States": {
            "A": {"Type": "Pass", "Assign": {"x": 1, "y.$": "$.v"}, "Next": "P"},
            "P": {"Type": "Parallel", "Assign": {"after": [2]}, "Next": "C",
                  "Branches": [{"StartAt": "B", "States": {
                      "B": {"Type": "Pass", "Assign": {"inner": "b"}, "End": true}}}]},
            "C": {"Type": "Pass", "End": true}}})
        .to_string(),
    )
    .unwrap();
    let input = dir.0.join("in.json");
    std::fs::write(&input, r#"{"v": "hi"}"#).unwrap();
    let events = json_history(&[def.to_str().unwrap(), "-i", input.to_str().unwrap()]);
    let assigned = |name: &str| {
        events
            .iter()
            .filter_map(|e| e.get("stateExitedEventDetails"))
            .find(|d| d["name"] == name)
            .map(|d| d.get("assignedVariables").cloned())
            .expect("the state exited")
    };
    assert_eq!(assigned("A"), Some(json!({"x": "1", "y": "\"hi\""})));
    assert_eq!(assigned("B"), Some(json!({"inner": "\"b\""})));
    assert_eq!(assigned("P"), Some(json!({"after": "[2]"})));
    assert_eq!(assigned("C"), None);
}
