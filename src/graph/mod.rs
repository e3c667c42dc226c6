//! Workflow graphs: a definition drawn as the Step Functions console draws it (top to
//! bottom, Choice branches labelled, Catch and Retry edges marked, Map and Parallel as
//! boxes holding their sub-graphs, a Distributed Map's reader and writer), in DOT,
//! Mermaid, SVG (laid out in the binary by `layout-rs`) or a self-contained HTML page.
//!
//! The graph is built from the definition's JSON (already validated), so that every
//! state, label and edge is what the user wrote. States may be given a [`Status`]
//! (from an execution's history) to colour them.

mod dot;
pub mod html;
mod mermaid;
pub mod plot;
pub mod report;
pub mod status;
mod svg;

pub use status::{StateRecord, Status, Tracker, statuses_from_history};
pub use svg::to_svg;

use serde_json::{Map, Value};
use std::collections::{HashMap, HashSet};

/// Output formats of `asl graph`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Svg,
    Dot,
    Mermaid,
    Html,
}

/// A definition as nested scopes of nodes and edges.
#[derive(Debug, Clone)]
pub struct Graph {
    pub top: Scope,
    pub comment: Option<String>,
}

/// The states of one state machine (the top level, a Map's processor, a Parallel
/// branch) and the edges between them.
#[derive(Debug, Clone, Default)]
pub struct Scope {
    /// A path that names the scope uniquely (`""` for the top level, `Map/0` …).
    pub path: String,
    pub nodes: Vec<Node>,
    pub edges: Vec<Edge>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NodeKind {
    /// The top level's Start and End markers.
    Start,
    End,
    /// A state of this type (`Task`, `Choice`, …).
    State(String),
    /// A Distributed Map's ItemReader and ResultWriter.
    Reader,
    Writer,
}

#[derive(Debug, Clone)]
pub struct Node {
    /// Unique in the graph: the state's name, or `#start` and the like for markers.
    pub id: String,
    /// What is shown: the state's name (or Start, End, the reader's source).
    pub name: String,
    pub kind: NodeKind,
    /// A second line: the state's type and resource.
    pub detail: String,
    /// A Map's processor, a Parallel's branches.
    pub children: Vec<Scope>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EdgeKind {
    Next,
    /// A Choice rule (labelled with it) or its Default.
    Choice,
    Default,
    /// A Catcher (labelled with its errors; dashed).
    Catch,
    /// A Retrier (a loop on the state, labelled with its errors).
    Retry,
}

#[derive(Debug, Clone)]
pub struct Edge {
    pub from: String,
    pub to: String,
    pub kind: EdgeKind,
    pub label: String,
}

impl EdgeKind {
    pub fn class(self) -> &'static str {
        match self {
            EdgeKind::Next => "next",
            EdgeKind::Choice => "choice",
            EdgeKind::Default => "default",
            EdgeKind::Catch => "catch",
            EdgeKind::Retry => "retry",
        }
    }
}

/// Ids of the top level's Start and End markers (`#start#1` and so on when a state
/// has that name: every node's id is unique, see [`fresh_id`]).
pub const START_ID: &str = "#start";
pub const END_ID: &str = "#end";

/// `base`, or `base#1`, `base#2`… : the first that is not a state's name.
fn fresh_id(base: &str, names: &HashSet<String>) -> String {
    let mut id = base.to_string();
    let mut n = 0;
    while names.contains(&id) {
        n += 1;
        id = format!("{base}#{n}");
    }
    id
}

/// Every state name of a definition, in every scope.
fn collect_names(def: &Value, out: &mut HashSet<String>) {
    let Some(states) = def.get("States").and_then(Value::as_object) else {
        return;
    };
    for (name, s) in states {
        out.insert(name.clone());
        for b in s
            .get("Branches")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            collect_names(b, out);
        }
        for f in ["ItemProcessor", "Iterator"] {
            if let Some(p) = s.get(f) {
                collect_names(p, out);
            }
        }
    }
}

impl Graph {
    /// Builds the graph of a definition (a `{StartAt, States}` object).
    pub fn from_definition(def: &Value) -> Result<Graph, String> {
        let obj = def
            .as_object()
            .ok_or("the definition must be a JSON object")?;
        let mut names = HashSet::new();
        collect_names(def, &mut names);
        let mut top = scope_of(obj, "", 0, &names)?;
        let start = obj.get("StartAt").and_then(Value::as_str).unwrap_or("");
        let ends: Vec<String> = terminal_states(obj);
        let start_id = fresh_id(START_ID, &names);
        let end_id = fresh_id(END_ID, &names);
        top.nodes
            .insert(0, marker(&start_id, "Start", NodeKind::Start));
        top.nodes.push(marker(&end_id, "End", NodeKind::End));
        top.edges
            .insert(0, edge(&start_id, start, EdgeKind::Next, ""));
        for e in ends {
            top.edges.push(edge(&e, &end_id, EdgeKind::Next, ""));
        }
        Ok(Graph {
            top,
            comment: obj
                .get("Comment")
                .and_then(Value::as_str)
                .map(str::to_string),
        })
    }

    /// Every state's node, depth first (a Map's or Parallel's before those inside it).
    pub fn states(&self) -> Vec<&Node> {
        fn walk<'g>(s: &'g Scope, out: &mut Vec<&'g Node>) {
            for n in &s.nodes {
                if matches!(n.kind, NodeKind::State(_)) {
                    out.push(n);
                }
                for c in &n.children {
                    walk(c, out);
                }
            }
        }
        let mut out = Vec::new();
        walk(&self.top, &mut out);
        out
    }

    /// Every state's name, depth first (for checks that none is missing).
    pub fn state_names(&self) -> Vec<String> {
        self.states().into_iter().map(|n| n.name.clone()).collect()
    }

    /// The graph in `format` (`statuses` colour the states in SVG and HTML).
    pub fn render(&self, format: Format, statuses: &HashMap<String, Status>) -> String {
        match format {
            Format::Dot => dot::to_dot(self),
            Format::Mermaid => mermaid::to_mermaid(self),
            Format::Svg => svg::to_svg(self, statuses),
            Format::Html => html::graph_page(self, statuses),
        }
    }
}

fn marker(id: &str, name: &str, kind: NodeKind) -> Node {
    Node {
        id: id.to_string(),
        name: name.to_string(),
        kind,
        detail: String::new(),
        children: Vec::new(),
    }
}

fn edge(from: &str, to: &str, kind: EdgeKind, label: &str) -> Edge {
    Edge {
        from: from.to_string(),
        to: to.to_string(),
        kind,
        label: label.to_string(),
    }
}

/// States that end the scope: `End: true`, Succeed and Fail.
fn terminal_states(obj: &Map<String, Value>) -> Vec<String> {
    let Some(states) = obj.get("States").and_then(Value::as_object) else {
        return Vec::new();
    };
    states
        .iter()
        .filter(|(_, s)| {
            s.get("End").and_then(Value::as_bool) == Some(true)
                || matches!(
                    s.get("Type").and_then(Value::as_str),
                    Some("Succeed" | "Fail")
                )
        })
        .map(|(n, _)| n.clone())
        .collect()
}

/// Deep definitions are drawn down to this depth (a guard against pathological input).
const MAX_DEPTH: usize = 64;

fn scope_of(
    obj: &Map<String, Value>,
    path: &str,
    depth: usize,
    names: &HashSet<String>,
) -> Result<Scope, String> {
    if depth > MAX_DEPTH {
        return Err(format!("{path}: nested deeper than {MAX_DEPTH} levels"));
    }
    let states = obj
        .get("States")
        .and_then(Value::as_object)
        .ok_or_else(|| format!("{}/States: must be an object", path))?;
    let mut scope = Scope {
        path: path.to_string(),
        ..Scope::default()
    };
    for (name, state) in states {
        let here = format!("{}/States/{}", path, crate::asl::validate::escape(name));
        let ty = state.get("Type").and_then(Value::as_str).unwrap_or("?");
        let mut node = Node {
            id: name.clone(),
            name: name.clone(),
            kind: NodeKind::State(ty.to_string()),
            detail: detail(ty, state),
            children: Vec::new(),
        };
        match ty {
            "Parallel" => {
                for (i, b) in state
                    .get("Branches")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .enumerate()
                {
                    let b = b
                        .as_object()
                        .ok_or_else(|| format!("{here}/Branches/{i}: must be an object"))?;
                    node.children.push(scope_of(
                        b,
                        &format!("{here}/Branches/{i}"),
                        depth + 1,
                        names,
                    )?);
                }
            }
            "Map" => {
                let field = if state.get("ItemProcessor").is_some() {
                    "ItemProcessor"
                } else {
                    "Iterator"
                };
                if let Some(p) = state.get(field).and_then(Value::as_object) {
                    let mut inner = scope_of(p, &format!("{here}/{field}"), depth + 1, names)?;
                    distributed_parts(name, state, p, &mut inner, names);
                    node.children.push(inner);
                }
            }
            _ => {}
        }
        scope.nodes.push(node);
        transitions(name, ty, state, &mut scope.edges);
    }
    Ok(scope)
}

/// A Distributed Map's reader (before the processor's StartAt) and writer (after its
/// ends), as nodes inside its box.
fn distributed_parts(
    name: &str,
    state: &Value,
    processor: &Map<String, Value>,
    inner: &mut Scope,
    names: &HashSet<String>,
) {
    let start = processor
        .get("StartAt")
        .and_then(Value::as_str)
        .unwrap_or("");
    if let Some(r) = state.get("ItemReader") {
        let id = fresh_id(&format!("{name}#reader"), names);
        let mut n = marker(&id, "ItemReader", NodeKind::Reader);
        n.detail = reader_detail(r);
        inner.nodes.insert(0, n);
        inner.edges.insert(0, edge(&id, start, EdgeKind::Next, ""));
    }
    if let Some(w) = state.get("ResultWriter") {
        let id = fresh_id(&format!("{name}#writer"), names);
        let mut n = marker(&id, "ResultWriter", NodeKind::Writer);
        n.detail = resource_action(w.get("Resource").and_then(Value::as_str).unwrap_or("s3"));
        inner.nodes.push(n);
        for e in terminal_states(processor) {
            inner.edges.push(edge(&e, &id, EdgeKind::Next, ""));
        }
    }
}

fn reader_detail(r: &Value) -> String {
    let action = resource_action(r.get("Resource").and_then(Value::as_str).unwrap_or(""));
    match r.pointer("/ReaderConfig/InputType").and_then(Value::as_str) {
        Some(t) => format!("{action} ({t})"),
        None => action,
    }
}

/// `arn:aws:states:::s3:getObject` → `s3:getObject`; a Lambda ARN → `lambda:NAME`.
fn resource_action(resource: &str) -> String {
    if let Some((_, api)) = resource.split_once(":states:::") {
        return api.to_string();
    }
    if let Some(rest) = resource.split_once(":function:").map(|(_, r)| r) {
        return format!("lambda:{}", rest.split(':').next().unwrap_or(rest));
    }
    if let Some((_, a)) = resource.split_once(":activity:") {
        return format!("activity:{a}");
    }
    resource.to_string()
}

/// The second line of a state's box.
fn detail(ty: &str, state: &Value) -> String {
    match ty {
        "Task" => {
            let r = state.get("Resource").and_then(Value::as_str).unwrap_or("");
            let action = resource_action(r);
            let function = state
                .pointer("/Parameters/FunctionName")
                .or_else(|| state.pointer("/Arguments/FunctionName"))
                .and_then(Value::as_str);
            match (action.as_str(), function) {
                ("lambda:invoke", Some(f)) => format!(
                    "Lambda: {}",
                    resource_action(f).trim_start_matches("lambda:")
                ),
                _ => action,
            }
        }
        "Map" => {
            let distributed = state
                .pointer("/ItemProcessor/ProcessorConfig/Mode")
                .and_then(Value::as_str)
                == Some("DISTRIBUTED");
            if distributed {
                "Distributed Map".to_string()
            } else {
                "Map".to_string()
            }
        }
        "Wait" => ["Seconds", "Timestamp", "SecondsPath", "TimestampPath"]
            .iter()
            .find_map(|k| state.get(*k).map(|v| format!("Wait {k} {}", short(v))))
            .unwrap_or_else(|| "Wait".to_string()),
        other => other.to_string(),
    }
}

fn short(v: &Value) -> String {
    let s = match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    truncate(&s, 40)
}

/// At most `max` characters, with an ellipsis when cut.
pub(crate) fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

fn transitions(name: &str, ty: &str, state: &Value, edges: &mut Vec<Edge>) {
    let next = |v: &Value| v.get("Next").and_then(Value::as_str).map(str::to_string);
    if let Some(n) = next(state) {
        edges.push(edge(name, &n, EdgeKind::Next, ""));
    }
    if ty == "Choice" {
        for rule in state
            .get("Choices")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if let Some(n) = next(rule) {
                edges.push(edge(name, &n, EdgeKind::Choice, &rule_label(rule)));
            }
        }
        if let Some(d) = state.get("Default").and_then(Value::as_str) {
            edges.push(edge(name, d, EdgeKind::Default, "Default"));
        }
    }
    for r in state
        .get("Retry")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let label = format!("Retry {}", errors(r));
        edges.push(edge(name, name, EdgeKind::Retry, &label));
    }
    for c in state
        .get("Catch")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        if let Some(n) = next(c) {
            edges.push(edge(
                name,
                &n,
                EdgeKind::Catch,
                &format!("Catch {}", errors(c)),
            ));
        }
    }
}

fn errors(v: &Value) -> String {
    let list: Vec<&str> = v
        .get("ErrorEquals")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    truncate(&list.join(", "), 40)
}

/// A short text for a Choice rule: its JSONata Condition, or `$.x NumericGreaterThan 5`.
fn rule_label(rule: &Value) -> String {
    truncate(&rule_text(rule), 48)
}

fn rule_text(rule: &Value) -> String {
    if let Some(c) = rule.get("Condition").and_then(Value::as_str) {
        return c.to_string();
    }
    for (combinator, sep) in [("And", " and "), ("Or", " or ")] {
        if let Some(list) = rule.get(combinator).and_then(Value::as_array) {
            let parts: Vec<String> = list.iter().map(rule_text).collect();
            return format!("({})", parts.join(sep));
        }
    }
    if let Some(n) = rule.get("Not") {
        return format!("not {}", rule_text(n));
    }
    let var = rule.get("Variable").and_then(Value::as_str).unwrap_or("");
    let Some(obj) = rule.as_object() else {
        return String::new();
    };
    obj.iter()
        .find(|(k, _)| {
            !matches!(
                k.as_str(),
                "Variable" | "Next" | "Assign" | "Output" | "Comment"
            )
        })
        .map(|(op, v)| format!("{var} {op} {}", short(v)))
        .unwrap_or_else(|| var.to_string())
}

#[cfg(test)]
mod tests;
