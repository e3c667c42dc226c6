//! `asl run --report html FILE`: one self-contained HTML page for an execution, read
//! from its history (GetExecutionHistory's events):
//!
//! - a title (state machine and execution names, status, start, stop, duration) and
//!   the execution's input;
//! - the graph, states coloured by what the history says of them; clicking a state
//!   shows its input, output, error and cause (a few lines of inline script that only
//!   set `textContent`);
//! - the execution's output, or its error and cause;
//! - for every Map state, the items done over time, from its iterations' events
//!   (`MapIterationSucceeded`/`MapIterationFailed`, in milliseconds: a run that
//!   records its history runs every Map item by item, never as Arrow kernels, so
//!   every item has its events);
//! - the table of events (the first and last [`EVENTS_KEPT`] of a history longer than
//!   [`EVENTS_LIMIT`]).
//!
//! Nothing is loaded from the network. Every name and value is escaped: as XML text in
//! the page, or as JSON inside `<script type="application/json">` ([`script_json`]).
use super::html::{LEGEND, PAGE_STYLE, script_json};
use super::plot::{self, Chart, Markers, Series};
use super::svg::escape;
use super::{Graph, NodeKind, Status, statuses_from_history};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::fmt::Write as _;

/// Histories longer than this show only their first and last [`EVENTS_KEPT`] events.
pub const EVENTS_LIMIT: usize = 5_000;
pub const EVENTS_KEPT: usize = 2_000;
/// Characters of an event's details shown in its row.
const CELL_MAX: usize = 2_000;
/// Bytes of a state's input or output that clicking it shows.
const VALUE_MAX: usize = 64 * 1024;
/// Bytes of the execution's input and output shown.
const OUTPUT_MAX: usize = 256 * 1024;
/// Points of a progress curve (a Map of more items is thinned to this many).
const PROGRESS_POINTS: usize = 400;

/// What the page shows.
#[derive(Debug, Clone, Copy)]
pub struct ExecutionReport<'a> {
    /// The definition, as JSON.
    pub definition: &'a Value,
    pub state_machine: &'a str,
    pub execution: &'a str,
    /// `SUCCEEDED`, `FAILED`, …
    pub status: &'a str,
    pub output: Option<&'a Value>,
    pub error: Option<&'a str>,
    pub cause: Option<&'a str>,
    pub history: &'a [Value],
}

/// Items done over time by one Map state (all its runs, when it runs several times).
#[derive(Debug, Clone, PartialEq)]
pub struct MapProgress {
    pub name: String,
    /// Seconds since the Map state was first entered, and items done by then.
    pub done: Vec<(f64, f64)>,
    /// The same for failed items.
    pub failed: Vec<(f64, f64)>,
    pub items: u64,
    pub failures: u64,
    /// Times the state was entered.
    pub runs: u64,
    /// Seconds from its first entry to its last item.
    pub seconds: f64,
}

/// The page.
pub fn execution_page(r: &ExecutionReport<'_>) -> Result<String, String> {
    let graph = Graph::from_definition(r.definition)?;
    let records = statuses_from_history(r.history);
    let statuses: HashMap<String, Status> =
        records.iter().map(|(k, v)| (k.clone(), v.status)).collect();
    let mut states = serde_json::Map::new();
    for (name, rec) in &records {
        let mut v = rec.to_json();
        for k in ["input", "output", "cause"] {
            if let Some(s) = v[k].as_str() {
                v[k] = Value::String(clip(s, VALUE_MAX));
            }
        }
        states.insert(name.clone(), v);
    }
    let data = json!({ "states": states });

    let title = format!("{} / {}", r.state_machine, r.execution);
    let mut p = String::with_capacity(64 * 1024 + r.history.len() * 256);
    let _ = write!(
        p,
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width\"><title>{}</title><style>{PAGE_STYLE}{REPORT_STYLE}{}</style></head><body><header>asl run report</header><main>",
        escape(&title),
        plot::STYLE
    );
    let status = escape(r.status);
    let _ = write!(
        p,
        "<h1>{} <span class=\"sub\">/ {}</span> <span class=\"badge {status}\" id=\"asl-status\">{status}</span></h1>",
        escape(r.state_machine),
        escape(r.execution)
    );
    p.push_str(&summary(r));
    let _ = write!(
        p,
        "<div class=\"panel\"><h2>Graph</h2>{LEGEND}<div class=\"graph-wrap\"><div class=\"graph\">{}</div><aside id=\"asl-state\" class=\"state-info\">Click a state to see its input, output and error.</aside></div></div>",
        super::svg::to_svg(&graph, &statuses)
    );
    p.push_str(&outcome(r));
    p.push_str(&progress_panel(&graph, r.history));
    p.push_str(&events_table(r.history));
    let _ = writeln!(
        p,
        "</main><script type=\"application/json\" id=\"asl-data\">{}</script><script>{SCRIPT}</script></body></html>",
        script_json(&data)
    );
    Ok(p)
}

const REPORT_STYLE: &str = r#"
h1 .sub { font-weight: 400; color: #5f6b7a; }
table.meta { width: auto; } table.meta th { color: #5f6b7a; font-weight: 600; padding-right: 24px; }
.graph-wrap { display: flex; gap: 16px; align-items: flex-start; }
.graph { overflow: auto; flex: 1 1 auto; }
.state-info { flex: 0 0 360px; max-width: 40%; border-left: 1px solid #e9ebed; padding-left: 12px; font-size: 13px; color: #414d5c; }
.state-info h3 { font-size: 13px; margin: 10px 0 2px; }
svg.asl-graph g.state.sel > .box { stroke: #16191f; stroke-width: 3.5; }
.charts { display: flex; flex-wrap: wrap; gap: 16px; }
.charts figure { margin: 0; } .charts figcaption { font-size: 12px; color: #5f6b7a; max-width: 480px; }
table.events td.det { font: 12px ui-monospace, monospace; white-space: pre-wrap; word-break: break-all; }
table.events td { font-size: 12px; } table.events td:nth-child(2) { white-space: nowrap; } tr.ev-failed td:nth-child(3) { color: #d91515; font-weight: 600; }
tr.ev-gap td { text-align: center; font-style: italic; color: #5f6b7a; background: #f8f8f8; }
.error-name { color: #d91515; font-weight: 600; }
"#;

/// Shows a clicked state's record; builds its text with `textContent` only.
const SCRIPT: &str = r#"
(function () {
  var data = JSON.parse(document.getElementById('asl-data').textContent);
  var box = document.getElementById('asl-state');
  function pretty(t) {
    try { return JSON.stringify(JSON.parse(t), null, 2); } catch (e) { return String(t); }
  }
  function add(tag, text) {
    var el = document.createElement(tag);
    el.textContent = text;
    box.appendChild(el);
  }
  function field(label, text, json) {
    if (text === null || text === undefined) return;
    add('h3', label);
    add('pre', json ? pretty(text) : String(text));
  }
  var selected = null;
  function show(g) {
    var name = g.getAttribute('data-state');
    var r = data.states[name];
    if (selected) selected.classList.remove('sel');
    selected = g; g.classList.add('sel');
    box.textContent = '';
    add('h2', name);
    if (!r) { add('p', 'Not reached.'); return; }
    add('p', r.status.replace('-', ' ') + ', entered ' + r.entered + (r.entered === 1 ? ' time' : ' times') + (r.entered > 1 ? ' (the last one is shown)' : ''));
    field('Input', r.input, true);
    field('Output', r.output, true);
    field('Error', r.error, false);
    field('Cause', r.cause, false);
    if (r.variables) field('Assigned variables', JSON.stringify(r.variables, null, 2), false);
  }
  var nodes = document.querySelectorAll('svg.asl-graph g.state');
  for (var i = 0; i < nodes.length; i++) {
    nodes[i].addEventListener('click', (function (g) { return function () { show(g); }; })(nodes[i]));
  }
})();
"#;

/// Start, stop, duration, event count and the execution's input.
fn summary(r: &ExecutionReport<'_>) -> String {
    let started = r
        .history
        .iter()
        .find(|e| event_type(e) == "ExecutionStarted")
        .or(r.history.first());
    let stopped =
        r.history.iter().rev().find(|e| {
            event_type(e).starts_with("Execution") && event_type(e) != "ExecutionStarted"
        });
    let ts = |e: Option<&Value>| {
        e.and_then(|e| e.get("timestamp"))
            .and_then(Value::as_str)
            .unwrap_or("-")
            .to_string()
    };
    let duration = match (started.and_then(millis), stopped.and_then(millis)) {
        (Some(a), Some(b)) => human_duration((b - a) as f64 / 1000.0),
        _ => "-".to_string(),
    };
    let mut s = format!(
        "<div class=\"panel\"><table class=\"meta\"><tr><th>Started</th><td>{}</td></tr><tr><th>Stopped</th><td>{}</td></tr><tr><th>Duration</th><td id=\"asl-duration\">{}</td></tr><tr><th>Events</th><td>{}</td></tr></table>",
        escape(&ts(started)),
        escape(&ts(stopped)),
        escape(&duration),
        r.history.len()
    );
    if let Some(input) = started
        .and_then(|e| e.pointer("/executionStartedEventDetails/input"))
        .and_then(Value::as_str)
    {
        let _ = write!(
            s,
            "<details><summary>Input</summary><pre>{}</pre></details>",
            escape(&clip(&pretty_text(input), OUTPUT_MAX))
        );
    }
    s.push_str("</div>");
    s
}

/// The output, or the error and cause.
fn outcome(r: &ExecutionReport<'_>) -> String {
    match r.output {
        Some(out) if r.status == "SUCCEEDED" => {
            let text = serde_json::to_string_pretty(out).unwrap_or_default();
            format!(
                "<div class=\"panel\"><h2>Output</h2><pre id=\"asl-output\">{}</pre></div>",
                escape(&clip(&text, OUTPUT_MAX))
            )
        }
        _ => format!(
            "<div class=\"panel\"><h2>Error</h2><p><span class=\"error-name\" id=\"asl-error\">{}</span></p><pre id=\"asl-cause\">{}</pre></div>",
            escape(r.error.unwrap_or("(no error)")),
            escape(&clip(r.cause.unwrap_or(""), OUTPUT_MAX))
        ),
    }
}

/// Names of the Map states of the definition, depth first.
fn map_states(g: &Graph) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for n in g.states() {
        if n.kind == NodeKind::State("Map".to_string()) && !out.contains(&n.name) {
            out.push(n.name.clone());
        }
    }
    out
}

/// The progress of every Map state that ran, from its iterations' events.
pub fn map_progress(history: &[Value]) -> Vec<MapProgress> {
    // Per Map: when it was first entered, times entered, its iterations' ends.
    let mut entered: HashMap<&str, (i64, u64)> = HashMap::new();
    let mut ends: HashMap<&str, Vec<(i64, bool)>> = HashMap::new();
    let mut order: Vec<&str> = Vec::new();
    for e in history {
        let ty = event_type(e);
        if ty == "MapStateEntered" {
            let Some(name) = e
                .pointer("/stateEnteredEventDetails/name")
                .and_then(Value::as_str)
            else {
                continue;
            };
            let t = millis(e).unwrap_or(0);
            let entry = entered.entry(name).or_insert((t, 0));
            entry.0 = entry.0.min(t);
            entry.1 += 1;
            if !order.contains(&name) {
                order.push(name);
            }
            continue;
        }
        let (field, failed) = match ty {
            "MapIterationSucceeded" => ("mapIterationSucceededEventDetails", false),
            "MapIterationFailed" => ("mapIterationFailedEventDetails", true),
            _ => continue,
        };
        let Some(name) = e
            .get(field)
            .and_then(|d| d.get("name"))
            .and_then(Value::as_str)
        else {
            continue;
        };
        ends.entry(name)
            .or_default()
            .push((millis(e).unwrap_or(0), failed));
    }
    order
        .into_iter()
        .map(|name| {
            let (t0, runs) = entered[name];
            let mut list = ends.remove(name).unwrap_or_default();
            list.sort_by_key(|(t, _)| *t);
            let secs = |t: i64| (t - t0).max(0) as f64 / 1000.0;
            let mut done = vec![(0.0, 0.0)];
            let mut failed = vec![(0.0, 0.0)];
            let (mut n, mut f) = (0u64, 0u64);
            for (t, fail) in &list {
                n += 1;
                done.push((secs(*t), n as f64));
                if *fail {
                    f += 1;
                    failed.push((secs(*t), f as f64));
                }
            }
            let seconds = list.last().map_or(0.0, |(t, _)| secs(*t));
            if f > 0 {
                failed.push((seconds, f as f64));
            }
            MapProgress {
                name: name.to_string(),
                done: thin(done, PROGRESS_POINTS),
                failed: thin(failed, PROGRESS_POINTS),
                items: n,
                failures: f,
                runs,
                seconds,
            }
        })
        .collect()
}

/// At most `max` points, evenly picked, the first and the last kept.
fn thin(points: Vec<(f64, f64)>, max: usize) -> Vec<(f64, f64)> {
    if points.len() <= max || max < 2 {
        return points;
    }
    let last = points.len() - 1;
    (0..max).map(|i| points[i * last / (max - 1)]).collect()
}

/// One chart per Map state of the definition (or why there is none).
fn progress_panel(g: &Graph, history: &[Value]) -> String {
    let maps = map_states(g);
    if maps.is_empty() {
        return String::new();
    }
    let progress = map_progress(history);
    let mut s = String::from("<div class=\"panel\"><h2>Map progress</h2><div class=\"charts\">");
    for name in &maps {
        let Some(m) = progress.iter().find(|m| &m.name == name) else {
            let _ = write!(
                s,
                "<figure class=\"map-not-run\" data-map=\"{0}\"><figcaption><b>{0}</b>: not run.</figcaption></figure>",
                escape(name)
            );
            continue;
        };
        let mut c = Chart::new(
            &super::truncate(name, 60),
            "seconds since the Map state was entered",
            "items done",
        );
        c.x_format = plot::number;
        c.class = "map-progress".to_string();
        c.attributes = format!(
            " data-map=\"{}\" data-items=\"{}\" data-failures=\"{}\"",
            escape(name),
            m.items,
            m.failures
        );
        let mut done = Series::new("items done", m.done.clone(), "#0972d3");
        done.markers = Markers::Last;
        done.step = true;
        c.series.push(done);
        if m.failures > 0 {
            let mut failed = Series::new("failed", m.failed.clone(), "#d91515");
            failed.markers = Markers::Last;
            failed.step = true;
            c.series.push(failed);
        }
        let rate = if m.seconds > 0.0 {
            format!(", {} items/s", plot::number(m.items as f64 / m.seconds))
        } else {
            String::new()
        };
        let _ = write!(
            s,
            "<figure>{}<figcaption><b>{}</b>: {} item{} done ({} failed) in {}{rate}{}.</figcaption></figure>",
            c.to_svg(),
            escape(name),
            m.items,
            if m.items == 1 { "" } else { "s" },
            m.failures,
            human_duration(m.seconds),
            if m.runs > 1 {
                format!("; the state ran {} times, counted together", m.runs)
            } else {
                String::new()
            }
        );
    }
    s.push_str("</div></div>");
    s
}

/// Every event (or the first and last [`EVENTS_KEPT`]): id, timestamp, type, details.
fn events_table(history: &[Value]) -> String {
    let total = history.len();
    let (head, tail, left_out) = if total > EVENTS_LIMIT {
        (
            &history[..EVENTS_KEPT],
            &history[total - EVENTS_KEPT..],
            total - 2 * EVENTS_KEPT,
        )
    } else {
        (history, &history[..0], 0)
    };
    let mut s = String::with_capacity((head.len() + tail.len()) * 256);
    let _ = write!(
        s,
        "<div class=\"panel\"><h2>Events ({total})</h2>{}<table class=\"events\" data-total=\"{total}\" data-shown=\"{}\" data-left-out=\"{left_out}\"><thead><tr><th>Id</th><th>Timestamp</th><th>Type</th><th>Details</th></tr></thead><tbody>",
        if left_out > 0 {
            format!(
                "<p>The first and last {EVENTS_KEPT} events are shown; {left_out} in between are left out.</p>"
            )
        } else {
            String::new()
        },
        head.len() + tail.len()
    );
    for e in head {
        event_row(&mut s, e);
    }
    if left_out > 0 {
        let _ = write!(
            s,
            "<tr class=\"ev-gap\"><td colspan=\"4\">… {left_out} events left out …</td></tr>"
        );
    }
    for e in tail {
        event_row(&mut s, e);
    }
    s.push_str("</tbody></table></div>");
    s
}

fn event_row(s: &mut String, e: &Value) {
    let ty = event_type(e);
    let id = e.get("id").map(Value::to_string).unwrap_or_default();
    let ts = e.get("timestamp").and_then(Value::as_str).unwrap_or("");
    // The details: the `…EventDetails` object, or whatever else the event holds.
    let details = match e.as_object() {
        Some(o) => {
            let rest: serde_json::Map<String, Value> = o
                .iter()
                .filter(|(k, _)| !matches!(k.as_str(), "id" | "timestamp" | "type"))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            match rest.len() {
                0 => String::new(),
                1 if rest.keys().all(|k| k.ends_with("EventDetails")) => rest
                    .values()
                    .next()
                    .map(Value::to_string)
                    .unwrap_or_default(),
                _ => Value::Object(rest).to_string(),
            }
        }
        None => e.to_string(),
    };
    let failed = ty.ends_with("Failed") || ty.ends_with("TimedOut") || ty.ends_with("Aborted");
    let _ = write!(
        s,
        "<tr class=\"ev{}\"><td>{}</td><td>{}</td><td>{}</td><td class=\"det\">{}</td></tr>",
        if failed { " ev-failed" } else { "" },
        escape(&id),
        escape(ts),
        escape(ty),
        escape(&clip_chars(&details, CELL_MAX))
    );
}

fn event_type(e: &Value) -> &str {
    e.get("type").and_then(Value::as_str).unwrap_or("")
}

/// An event's timestamp in milliseconds since the epoch.
fn millis(e: &Value) -> Option<i64> {
    let ts = e.get("timestamp").and_then(Value::as_str)?;
    chrono::DateTime::parse_from_rfc3339(ts)
        .ok()
        .map(|t| t.timestamp_millis())
}

/// `0.042 s`, `12.3 s`, `2 min 5 s`, `1 h 3 min`.
pub fn human_duration(secs: f64) -> String {
    if !secs.is_finite() || secs < 0.0 {
        return "-".to_string();
    }
    if secs < 60.0 {
        return format!("{secs:.3} s");
    }
    let whole = secs.round() as u64;
    if whole < 3600 {
        format!("{} min {} s", whole / 60, whole % 60)
    } else {
        format!("{} h {} min", whole / 3600, whole % 3600 / 60)
    }
}

/// JSON text indented (other text as it is).
fn pretty_text(s: &str) -> String {
    serde_json::from_str::<Value>(s)
        .ok()
        .and_then(|v| serde_json::to_string_pretty(&v).ok())
        .unwrap_or_else(|| s.to_string())
}

/// At most `max` bytes (cut at a character boundary), saying how long it was.
fn clip(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_string();
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}… ({} bytes in all)", &s[..end], s.len())
}

/// At most `max` characters, saying how many more there were.
fn clip_chars(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        None => s.to_string(),
        Some((i, _)) => format!("{}… ({} more characters)", &s[..i], s[i..].chars().count()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(id: u64, ms: u64, ty: &str, details: Option<(&str, Value)>) -> Value {
        let mut e = json!({"id": id, "timestamp": format!("2024-01-01T00:00:0{}.{:03}Z", ms / 1000, ms % 1000), "type": ty});
        if let Some((k, v)) = details {
            e[k] = v;
        }
        e
    }

    #[test]
    fn progress_counts_iterations_over_time() {
        let h = vec![
            ev(1, 0, "ExecutionStarted", None),
            ev(
                2,
                100,
                "MapStateEntered",
                Some(("stateEnteredEventDetails", json!({"name": "M"}))),
            ),
            ev(
                3,
                300,
                "MapIterationSucceeded",
                Some(("mapIterationSucceededEventDetails", json!({"name": "M"}))),
            ),
            ev(
                4,
                200,
                "MapIterationFailed",
                Some(("mapIterationFailedEventDetails", json!({"name": "M"}))),
            ),
        ];
        let p = map_progress(&h);
        assert_eq!(p.len(), 1);
        assert_eq!(p[0].done, [(0.0, 0.0), (0.1, 1.0), (0.2, 2.0)]);
        assert_eq!((p[0].items, p[0].failures, p[0].runs), (2, 1, 1));
        assert_eq!(p[0].failed.last(), Some(&(0.2, 1.0)));
    }

    #[test]
    fn thinning_keeps_the_ends() {
        let pts: Vec<(f64, f64)> = (0..1000).map(|i| (i as f64, i as f64)).collect();
        let t = thin(pts, 10);
        assert_eq!(t.len(), 10);
        assert_eq!(t[0], (0.0, 0.0));
        assert_eq!(t[9], (999.0, 999.0));
    }

    #[test]
    fn clipping_respects_characters() {
        assert_eq!(clip("ééé", 3), "é… (6 bytes in all)");
        assert_eq!(clip_chars("abcdef", 4), "abcd… (2 more characters)");
        assert_eq!(clip_chars("abc", 4), "abc");
        assert_eq!(human_duration(0.5), "0.500 s");
        assert_eq!(human_duration(125.0), "2 min 5 s");
    }

    #[test]
    fn long_histories_are_cut_in_the_middle() {
        let h: Vec<Value> = (1..=6000)
            .map(|i| ev(i, 0, "PassStateEntered", None))
            .collect();
        let t = events_table(&h);
        assert_eq!(t.matches("<tr class=\"ev\">").count(), 2 * EVENTS_KEPT);
        assert!(t.contains("2000 events left out"));
    }

    #[test]
    fn names_and_values_are_escaped() {
        let name = "<script>alert(1)</script>";
        let def = json!({"StartAt": name, "States": {name: {"Type": "Pass", "End": true}}});
        let h = vec![
            ev(
                1,
                0,
                "ExecutionStarted",
                Some((
                    "executionStartedEventDetails",
                    json!({"input": "{\"x\":\"</script>\"}"}),
                )),
            ),
            ev(
                2,
                0,
                "PassStateEntered",
                Some((
                    "stateEnteredEventDetails",
                    json!({"name": name, "input": "{}"}),
                )),
            ),
            ev(
                3,
                0,
                "PassStateExited",
                Some((
                    "stateExitedEventDetails",
                    json!({"name": name, "output": "\"</script><b>\""}),
                )),
            ),
            ev(4, 0, "ExecutionSucceeded", None),
        ];
        let out = json!("</script><b>");
        let page = execution_page(&ExecutionReport {
            definition: &def,
            state_machine: "<i>m</i>",
            execution: "e&1",
            status: "SUCCEEDED",
            output: Some(&out),
            error: None,
            cause: None,
            history: &h,
        })
        .unwrap();
        assert!(!page.contains(name) && !page.contains("<b>") && !page.contains("<i>"));
        assert!(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
        // Two script elements: the data and the code.
        assert_eq!(page.matches("</script>").count(), 2);
        assert!(page.contains("class=\"state st-succeeded\""));
    }
}
