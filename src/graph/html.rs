//! Self-contained HTML pages: the graph alone (`asl graph --format html`) and an
//! execution's report (`asl run --report html FILE`). Nothing is loaded from the
//! network; every name and value is escaped (values travel as JSON inside a
//! `<script type="application/json">`, with `<` escaped so no text can end it).
use super::{Graph, Status, svg};
use std::collections::HashMap;

/// JSON safe inside a `<script>` element.
pub fn script_json(v: &serde_json::Value) -> String {
    v.to_string()
        .replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
        .replace('\u{2028}', "\\u2028")
        .replace('\u{2029}', "\\u2029")
}

pub(crate) const PAGE_STYLE: &str = r#"
body { font: 14px system-ui, sans-serif; margin: 0; color: #16191f; background: #f4f5f7; }
header { background: #232f3e; color: #fff; padding: 10px 20px; font-weight: 600; }
main { padding: 16px 20px; }
.panel { background: #fff; border: 1px solid #d5dbdb; border-radius: 8px; padding: 12px 16px; margin-bottom: 16px; overflow: auto; }
h1 { font-size: 20px; margin: 4px 0 12px; } h2 { font-size: 16px; margin: 4px 0 10px; }
table { border-collapse: collapse; width: 100%; font-size: 13px; }
th, td { text-align: left; border-bottom: 1px solid #e9ebed; padding: 4px 8px; vertical-align: top; }
pre { white-space: pre-wrap; word-break: break-all; background: #f8f8f8; padding: 6px; margin: 2px 0; max-height: 240px; overflow: auto; }
.badge { display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 12px; font-weight: 600; }
.badge.SUCCEEDED { background: #e9f7e9; color: #037f0c; } .badge.FAILED, .badge.TIMED_OUT, .badge.ABORTED { background: #fde8e8; color: #d91515; }
.badge.RUNNING { background: #dbeafe; color: #0972d3; }
.state { cursor: pointer; }
.legend span { margin-right: 12px; } .legend i { display: inline-block; width: 12px; height: 12px; border: 2px solid; vertical-align: middle; margin-right: 4px; }
"#;

pub(crate) const LEGEND: &str = r#"<div class="legend"><span><i style="border-color:#8d99a6"></i>Not reached</span><span><i style="background:#dbeafe;border-color:#0972d3"></i>In progress</span><span><i style="background:#e9f7e9;border-color:#037f0c"></i>Succeeded</span><span><i style="background:#fde8e8;border-color:#d91515"></i>Failed</span><span><i style="background:#fff4e0;border-color:#c77c02"></i>Caught error</span></div>"#;

/// `asl graph --format html`: the graph and, on click, the state's definition.
pub fn graph_page(g: &Graph, statuses: &HashMap<String, Status>) -> String {
    let title = svg::escape(g.comment.as_deref().unwrap_or("State machine"));
    format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>{title}</title><style>{PAGE_STYLE}</style></head><body><header>asl graph</header><main><h1>{title}</h1><div class=\"panel\">{LEGEND}{}</div></main></body></html>\n",
        svg::to_svg(g, statuses)
    )
}
