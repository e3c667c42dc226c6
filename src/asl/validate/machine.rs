//! The machine and its scopes: top-level fields, `StartAt`/`States`, nested scopes
//! (Parallel branches, Map ItemProcessor/Iterator), state dispatch and query language.

use super::{At, Ctx, Ql, child, kind, show};
use super::{choice, fields, jsonata, map, paths, retry_catch, states, strict, transitions};
use serde_json::{Map, Value};

/// Deepest nesting of scopes (Parallel/Map inside Parallel/Map) that is checked.
const MAX_SCOPE_DEPTH: usize = 64;

/// The fields of a state machine (top level), which don't belong inside `States`.
const MACHINE_FIELDS: &[&str] = &[
    "StartAt",
    "States",
    "Comment",
    "Version",
    "TimeoutSeconds",
    "QueryLanguage",
];

pub(super) const STATE_TYPES: &[&str] = &[
    "Pass", "Task", "Choice", "Wait", "Succeed", "Fail", "Parallel", "Map",
];

pub(super) fn check_machine(ctx: &mut Ctx, def: &Value) {
    let Value::Object(top) = def else {
        ctx.report(
            "",
            None,
            "not-object",
            format!(
                "a state machine definition must be a JSON object, got {}",
                kind(def)
            ),
        );
        return;
    };
    let mut ql = Ql::JsonPath;
    for (k, v) in top {
        let p = child("", k);
        match k.as_str() {
            "StartAt" | "States" => {}
            "Comment" | "Version" => {
                if !v.is_string() {
                    ctx.report(&p, None, "wrong-type", format!("{k} must be a string, got {}", kind(v)));
                }
            }
            "TimeoutSeconds" => {
                states::check_positive_int(ctx, At { ptr: &p, state: None }, k, v, Ql::JsonPath)
            }
            "QueryLanguage" => match parse_ql(v) {
                Some(q) => ql = q,
                None => ctx.report(&p, None, "bad-enum", bad_ql(v)),
            },
            _ => ctx.report(
                &p,
                None,
                "unknown-field",
                format!(
                    "field '{k}' is not allowed at the top level (allowed: StartAt, States, Comment, Version, TimeoutSeconds, QueryLanguage)"
                ),
            ),
        }
    }
    check_scope(ctx, top, "", None, ql, ql, 0, &[]);
}

pub(super) fn parse_ql(v: &Value) -> Option<Ql> {
    match v.as_str() {
        Some("JSONPath") => Some(Ql::JsonPath),
        Some("JSONata") => Some(Ql::Jsonata),
        _ => None,
    }
}

pub(super) fn bad_ql(v: &Value) -> String {
    format!(
        "QueryLanguage must be \"JSONPath\" or \"JSONata\", got {}",
        show(v)
    )
}

/// Checks one scope (the machine, a branch, an item processor): its fields, its states
/// and its transitions. `extra` lists additional fields allowed in this scope.
#[allow(clippy::too_many_arguments)]
pub(super) fn check_scope(
    ctx: &mut Ctx,
    obj: &Map<String, Value>,
    ptr: &str,
    owner: Option<&str>,
    top_ql: Ql,
    ql: Ql,
    depth: usize,
    extra: &[&str],
) {
    if depth > MAX_SCOPE_DEPTH {
        ctx.report(
            ptr,
            owner,
            "too-deep",
            format!(
                "states are nested more than {MAX_SCOPE_DEPTH} levels deep; not checked further"
            ),
        );
        return;
    }
    if depth > 0 {
        for (k, v) in obj {
            match k.as_str() {
                "StartAt" | "States" => {}
                "Comment" => {
                    if !v.is_string() {
                        let p = child(ptr, k);
                        ctx.report(
                            &p,
                            owner,
                            "wrong-type",
                            format!("Comment must be a string, got {}", kind(v)),
                        );
                    }
                }
                _ if extra.contains(&k.as_str()) => {}
                _ => {
                    let p = child(ptr, k);
                    ctx.report(
                        &p,
                        owner,
                        "unknown-field",
                        format!("field '{k}' is not allowed in a nested state machine (allowed: StartAt, States, Comment{})",
                            extra.iter().map(|e| format!(", {e}")).collect::<String>()),
                    );
                }
            }
        }
    }
    match obj.get("StartAt") {
        None => ctx.report(
            ptr,
            owner,
            "missing-field",
            "StartAt is required: name the first state to run".into(),
        ),
        Some(Value::String(_)) => {}
        Some(v) => {
            let p = child(ptr, "StartAt");
            ctx.report(
                &p,
                owner,
                "wrong-type",
                format!("StartAt must be a string naming a state, got {}", kind(v)),
            );
        }
    }
    let states_ptr = child(ptr, "States");
    let states = match obj.get("States") {
        None => {
            ctx.report(
                ptr,
                owner,
                "missing-field",
                "States is required: an object mapping state names to states".into(),
            );
            return;
        }
        Some(Value::Object(m)) => m,
        Some(v) => {
            ctx.report(
                &states_ptr,
                owner,
                "wrong-type",
                format!(
                    "States must be an object mapping state names to states, got {}",
                    kind(v)
                ),
            );
            return;
        }
    };
    if states.is_empty() {
        ctx.report(
            &states_ptr,
            owner,
            "empty-states",
            "States must contain at least one state".into(),
        );
    }
    // A machine field written inside States (`"QueryLanguage": "JSONata"` beside the
    // states) gets one diagnostic that says where it belongs, and the states are checked
    // as their author meant them (in that query language), not as fourteen follow-ons.
    let mut ql = ql;
    let mut top_ql = top_ql;
    let mut misplaced = Vec::new();
    for (name, st) in states {
        if st.is_object() || !MACHINE_FIELDS.contains(&name.as_str()) {
            continue;
        }
        let sp = child(&states_ptr, name);
        let home = if depth == 0 {
            "at the top level of the definition, beside StartAt and States".to_string()
        } else if name == "QueryLanguage" {
            "on the state machine's top level or on each state".to_string()
        } else {
            "beside StartAt and States".to_string()
        };
        ctx.report(
            &sp,
            owner,
            "misplaced-field",
            format!("'{name}' is a field of the state machine, not a state: move it out of States, {home}"),
        );
        if name == "QueryLanguage"
            && let Some(q) = parse_ql(st)
        {
            ql = q;
            if depth == 0 {
                top_ql = q;
            }
        }
        misplaced.push(name.as_str());
    }
    let filtered;
    let states = if misplaced.is_empty() {
        states
    } else {
        filtered = states
            .iter()
            .filter(|(n, _)| !misplaced.contains(&n.as_str()))
            .map(|(n, v)| (n.clone(), v.clone()))
            .collect::<Map<String, Value>>();
        &filtered
    };
    for (name, st) in states {
        let sp = child(&states_ptr, name);
        if let Some(first) = ctx.names.get(name) {
            if *first != sp {
                let msg = format!(
                    "duplicate state name '{name}' (also defined at {first}); state names must be unique in the whole state machine, nested states included"
                );
                ctx.report(&sp, Some(name), "duplicate-state-name", msg);
            }
        } else {
            ctx.names.insert(name.clone(), sp.clone());
        }
        strict::check_state_name(ctx, &sp, name);
        check_state(ctx, name, st, &sp, top_ql, ql, depth);
    }
    transitions::check_scope(ctx, obj, states, ptr, owner);
}

fn check_state(
    ctx: &mut Ctx,
    name: &str,
    st: &Value,
    ptr: &str,
    top_ql: Ql,
    scope_ql: Ql,
    depth: usize,
) {
    let at = At {
        ptr,
        state: Some(name),
    };
    let Value::Object(obj) = st else {
        ctx.at(
            at,
            "wrong-type",
            format!("state '{name}' must be an object, got {}", kind(st)),
        );
        return;
    };
    let ty = match obj.get("Type") {
        None => {
            ctx.at(
                at,
                "missing-field",
                format!(
                    "state '{name}' has no Type (one of {})",
                    STATE_TYPES.join(", ")
                ),
            );
            None
        }
        Some(Value::String(t)) if STATE_TYPES.contains(&t.as_str()) => Some(t.as_str()),
        Some(v) => {
            let p = child(ptr, "Type");
            ctx.report(
                &p,
                Some(name),
                "bad-enum",
                format!(
                    "Type must be one of {}, got {}",
                    STATE_TYPES.join(", "),
                    show(v)
                ),
            );
            None
        }
    };
    let mut ql = scope_ql;
    if let Some(v) = obj.get("QueryLanguage") {
        let p = child(ptr, "QueryLanguage");
        match parse_ql(v) {
            None => ctx.report(&p, Some(name), "bad-enum", bad_ql(v)),
            Some(Ql::JsonPath) if top_ql == Ql::Jsonata => ctx.report(
                &p,
                Some(name),
                "query-language-downgrade",
                "a state may not use JSONPath when the state machine's QueryLanguage is JSONata"
                    .into(),
            ),
            Some(q) => ql = q,
        }
    }
    let Some(ty) = ty else { return };
    fields::check_fields(ctx, at, ty, obj, ql);
    states::check_common(ctx, at, ty, obj, ql);
    match ty {
        "Task" => states::check_task(ctx, at, obj, ql),
        "Wait" => states::check_wait(ctx, at, obj, ql),
        "Fail" => states::check_fail(ctx, at, obj, ql),
        "Choice" => choice::check_choice(ctx, at, obj, ql),
        "Parallel" => {
            if let Some(v) = obj.get("Branches") {
                let bp = child(ptr, "Branches");
                match v {
                    Value::Array(a) if a.is_empty() => ctx.report(
                        &bp,
                        Some(name),
                        "empty-array",
                        "Branches must contain at least one branch".into(),
                    ),
                    Value::Array(a) => {
                        for (i, b) in a.iter().enumerate() {
                            let p = super::index(&bp, i);
                            match b {
                                Value::Object(bo) => check_scope(ctx, bo, &p, Some(name), top_ql, ql, depth + 1, &[]),
                                _ => ctx.report(&p, Some(name), "wrong-type", format!("each branch must be an object with StartAt and States, got {}", kind(b))),
                            }
                        }
                    }
                    _ => ctx.report(
                        &bp,
                        Some(name),
                        "wrong-type",
                        format!("Branches must be an array of branches, got {}", kind(v)),
                    ),
                }
            }
        }
        "Map" => map::check_map(ctx, at, obj, top_ql, ql, depth),
        _ => {}
    }
    if matches!(ty, "Task" | "Parallel" | "Map") {
        retry_catch::check(ctx, at, obj, ql);
    }
    if ql == Ql::Jsonata {
        jsonata::check_state_strings(ctx, at, obj);
    } else {
        jsonata::check_no_expressions(ctx, at, obj);
    }
    let _ = paths::check_path;
}
