//! Transitions within one scope: StartAt, Next, Default, Choice rule Next and Catch Next
//! must name a state of the same scope; every state must be reachable; some terminal
//! state (End, Succeed, Fail) must be reachable.

use super::{Ctx, child, index};
use serde_json::{Map, Value};
use std::collections::{HashMap, VecDeque};

/// Transitions out of one state: (pointer of the field, target name).
fn targets(ptr: &str, st: &Map<String, Value>) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for f in ["Next", "Default"] {
        if let Some(Value::String(t)) = st.get(f) {
            out.push((child(ptr, f), t.clone()));
        }
    }
    if let Some(Value::Array(rules)) = st.get("Choices") {
        let cp = child(ptr, "Choices");
        for (i, r) in rules.iter().enumerate() {
            if let Some(Value::String(t)) = r.get("Next") {
                out.push((child(&index(&cp, i), "Next"), t.clone()));
            }
        }
    }
    if let Some(Value::Array(cs)) = st.get("Catch") {
        let cp = child(ptr, "Catch");
        for (i, c) in cs.iter().enumerate() {
            if let Some(Value::String(t)) = c.get("Next") {
                out.push((child(&index(&cp, i), "Next"), t.clone()));
            }
        }
    }
    out
}

fn is_terminal(st: &Value) -> bool {
    matches!(
        st.get("Type").and_then(Value::as_str),
        Some("Succeed" | "Fail")
    ) || st.get("End") == Some(&Value::Bool(true))
}

pub(super) fn check_scope(
    ctx: &mut Ctx,
    scope: &Map<String, Value>,
    states: &Map<String, Value>,
    ptr: &str,
    owner: Option<&str>,
) {
    let states_ptr = child(ptr, "States");
    let mut edges: HashMap<&str, Vec<String>> = HashMap::new();
    for (name, st) in states {
        let Value::Object(m) = st else { continue };
        let sp = child(&states_ptr, name);
        let mut out = Vec::new();
        for (fp, t) in targets(&sp, m) {
            if states.contains_key(&t) {
                out.push(t);
            } else {
                let hint = if ctx.names.contains_key(&t) {
                    " (that state is in another scope: a Parallel branch or Map item processor can only move between its own states)"
                } else {
                    ""
                };
                ctx.report(
                    &fp,
                    Some(name),
                    "dangling-transition",
                    format!("'{t}' is not a state in this scope{hint}"),
                );
            }
        }
        edges.insert(name.as_str(), out);
    }
    let Some(Value::String(start)) = scope.get("StartAt") else {
        return;
    };
    if !states.contains_key(start) {
        let p = child(ptr, "StartAt");
        let hint = if ctx.names.contains_key(start) {
            " (it is defined in another scope)"
        } else {
            ""
        };
        ctx.report(
            &p,
            owner,
            "dangling-start",
            format!("StartAt names '{start}', which is not a state in this scope{hint}"),
        );
        return;
    }
    let mut seen: HashMap<&str, bool> = HashMap::new();
    let mut queue: VecDeque<&str> = VecDeque::new();
    queue.push_back(start.as_str());
    seen.insert(start.as_str(), true);
    while let Some(n) = queue.pop_front() {
        if let Some(out) = edges.get(n) {
            for t in out {
                if let Some((k, _)) = states.get_key_value(t)
                    && seen.insert(k.as_str(), true).is_none()
                {
                    queue.push_back(k.as_str());
                }
            }
        }
    }
    for name in states.keys() {
        if !seen.contains_key(name.as_str()) {
            let sp = child(&states_ptr, name);
            ctx.report(&sp, Some(name), "unreachable-state", format!("state '{name}' is never reached from StartAt '{start}'; remove it or add a transition to it"));
        }
    }
    if !states
        .iter()
        .any(|(n, st)| seen.contains_key(n.as_str()) && is_terminal(st))
    {
        ctx.report(&states_ptr, owner, "no-terminal-state", "no terminal state is reachable: add a Succeed or Fail state, or \"End\": true on a state".into());
    }
}
