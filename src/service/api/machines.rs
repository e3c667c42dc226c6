//! State machines: Create, Describe, Update, Delete, List, Validate, and
//! DescribeStateMachineForExecution.

use super::{Req, find_execution, find_machine, list_page, now};
use crate::asl::validate::{Diagnostic, Options, validate_text};
use crate::service::Service;
use crate::service::arn::{check_name, parse_execution, parse_state_machine};
use crate::service::error::{ApiError, ApiResult, Code};
use crate::service::store::Machine;
use serde_json::{Value, json};

/// AWS's limit on a definition (1 MB).
const MAX_DEFINITION: usize = 1024 * 1024;

/// AWS's diagnostic code for one of ours.
fn aws_code(d: &Diagnostic) -> &'static str {
    match d.code {
        "json-syntax" | "yaml-syntax" => "INVALID_JSON_DESCRIPTION",
        "dangling-transition" | "next-missing" | "start-at-missing" => "MISSING_TRANSITION_TARGET",
        "duplicate-state-name" => "DUPLICATE_STATE_NAME",
        "unreachable-state" => "UNREACHABLE_STATE",
        "no-terminal-state" => "NO_TERMINAL_STATE",
        _ => "SCHEMA_VALIDATION_FAILED",
    }
}

/// The diagnostics of a definition for a machine of `kind`.
fn diagnostics(definition: &str, kind: &str) -> Vec<(String, String, String)> {
    let mut out: Vec<(String, String, String)> = validate_text(definition, &Options::default())
        .iter()
        .map(|d| {
            (
                aws_code(d).to_string(),
                d.message.clone(),
                d.pointer.clone(),
            )
        })
        .collect();
    if out.is_empty()
        && kind == "EXPRESS"
        && let Ok(sm) = crate::asl::model::load_text(definition)
    {
        for r in sm.express_refusals() {
            out.push(("SCHEMA_VALIDATION_FAILED".into(), r, String::new()));
        }
    }
    out
}

fn check_definition(definition: &str, kind: &str) -> ApiResult<()> {
    if definition.len() > MAX_DEFINITION {
        return Err(ApiError::new(
            Code::ValidationException,
            format!(
                "1 validation error detected: Value at 'definition' failed to satisfy constraint: Member must have length less than or equal to {MAX_DEFINITION}"
            ),
        ));
    }
    let d = diagnostics(definition, kind);
    if d.is_empty() {
        return Ok(());
    }
    let parts: Vec<String> = d
        .iter()
        .map(|(code, msg, at)| {
            if at.is_empty() {
                format!("{code}: {msg}")
            } else {
                format!("{code}: {msg} at {at}")
            }
        })
        .collect();
    Err(ApiError::new(
        Code::InvalidDefinition,
        format!("Invalid State Machine Definition: '{}'", parts.join(", ")),
    ))
}

fn check_role(role: &str) -> ApiResult<()> {
    let ok = role.starts_with("arn:aws")
        && role.split(':').nth(2) == Some("iam")
        && role.contains(":role/");
    if !ok {
        return Err(ApiError::new(
            Code::InvalidArn,
            format!("Invalid Role Arn: '{role}'"),
        ));
    }
    Ok(())
}

fn kind_of(r: &Req<'_>) -> ApiResult<String> {
    match r.opt_str("type")? {
        None => Ok("STANDARD".into()),
        Some(t @ ("STANDARD" | "EXPRESS")) => Ok(t.to_string()),
        Some(t) => Err(ApiError::new(
            Code::ValidationException,
            format!(
                "1 validation error detected: Value '{t}' at 'type' failed to satisfy constraint: Member must satisfy enum value set: [STANDARD, EXPRESS]"
            ),
        )),
    }
}

pub(super) fn tags_of(r: &Req<'_>) -> ApiResult<Vec<(String, String)>> {
    let Some(v) = r.get("tags") else {
        return Ok(Vec::new());
    };
    let bad = || {
        ApiError::new(
            Code::SerializationException,
            "'tags' must be a list of {key, value}",
        )
    };
    let list = v.as_array().ok_or_else(bad)?;
    list.iter()
        .map(|t| {
            let key = t.get("key").and_then(Value::as_str).ok_or_else(bad)?;
            let value = t.get("value").and_then(Value::as_str).unwrap_or("");
            Ok((key.to_string(), value.to_string()))
        })
        .collect()
}

pub(super) fn create(s: &Service, r: &Req<'_>) -> ApiResult<Value> {
    let name = r.str("name")?;
    let definition = r.str("definition")?;
    let role = r.str("roleArn")?;
    let kind = kind_of(r)?;
    let tags = tags_of(r)?;
    check_name(name, "state machine")?;
    check_role(role)?;
    check_definition(definition, &kind)?;
    let arn = s.place.state_machine(name);
    // AWS: the same name, definition, role and type is the same machine.
    let existing = |m: Machine| -> ApiResult<Value> {
        if m.definition == definition && m.role_arn == role && m.kind == kind {
            return Ok(json!({"stateMachineArn": m.arn, "creationDate": m.created}));
        }
        Err(ApiError::new(
            Code::StateMachineAlreadyExists,
            format!("State Machine Already Exists: '{arn}'"),
        ))
    };
    if let Some(m) = s.store.machine_by_name(name)? {
        return existing(m);
    }
    let m = Machine {
        arn: arn.clone(),
        name: name.to_string(),
        definition: definition.to_string(),
        role_arn: role.to_string(),
        kind: kind.clone(),
        created: now(),
        updated: None,
        revision: uuid::Uuid::new_v4().to_string(),
    };
    if let Err(e) = s.store.insert_machine(&m) {
        // Created meanwhile by a concurrent request: answer as if it came first.
        return match (super::is_conflict(&e), s.store.machine_by_name(name)?) {
            (true, Some(other)) => existing(other),
            _ => Err(e.into()),
        };
    }
    if !tags.is_empty() {
        s.store.set_tags(&arn, &tags)?;
    }
    let mut out = json!({"stateMachineArn": arn, "creationDate": m.created});
    if r.opt_bool("publish")?.unwrap_or(false) {
        let description = r.opt_str("versionDescription")?.unwrap_or("");
        let v = super::versions::publish_current(s, &m, description)?;
        out["stateMachineVersionArn"] = json!(super::versions::version_arn(&v));
    }
    Ok(out)
}

fn describe_json(m: &Machine) -> Value {
    let mut out = json!({
        "stateMachineArn": m.arn,
        "name": m.name,
        "status": "ACTIVE",
        "definition": m.definition,
        "roleArn": m.role_arn,
        "type": m.kind,
        "creationDate": m.created,
        "loggingConfiguration": {"level": "OFF", "includeExecutionData": false},
        "tracingConfiguration": {"enabled": false},
        "revisionId": m.revision,
    });
    if let Some(u) = m.updated {
        out["updateDate"] = json!(u);
    }
    out
}

pub(super) fn describe(s: &Service, r: &Req<'_>) -> ApiResult<Value> {
    let arn = r.str("stateMachineArn")?;
    let t = super::versions::resolve(s, arn).map_err(|e| match e.code {
        Code::ResourceNotFound => ApiError::new(
            Code::StateMachineDoesNotExist,
            format!("State Machine Does Not Exist: '{arn}'"),
        ),
        _ => e,
    })?;
    match t.version {
        // A version: its own definition, role, revision and description.
        Some(v) => {
            let mut m = t.machine;
            m.definition = v.definition.clone();
            m.role_arn = v.role_arn.clone();
            m.revision = v.revision.clone();
            m.created = v.created;
            m.updated = None;
            let mut out = describe_json(&m);
            out["stateMachineArn"] = json!(super::versions::version_arn(&v));
            out["description"] = json!(v.description);
            Ok(out)
        }
        None => Ok(describe_json(&t.machine)),
    }
}

pub(super) fn update(s: &Service, r: &Req<'_>) -> ApiResult<Value> {
    let mut m = find_machine(s, r.str("stateMachineArn")?)?;
    let definition = r.opt_str("definition")?;
    let role = r.opt_str("roleArn")?;
    if definition.is_none() && role.is_none() {
        return Err(ApiError::new(
            Code::ValidationException,
            "Either the definition or the roleArn must be specified",
        ));
    }
    if let Some(d) = definition {
        check_definition(d, &m.kind)?;
        m.definition = d.to_string();
    }
    if let Some(role) = role {
        check_role(role)?;
        m.role_arn = role.to_string();
    }
    m.updated = Some(now());
    m.revision = uuid::Uuid::new_v4().to_string();
    s.store.update_machine(&m)?;
    let mut out = json!({"updateDate": m.updated, "revisionId": m.revision});
    if r.opt_bool("publish")?.unwrap_or(false) {
        let description = r.opt_str("versionDescription")?.unwrap_or("");
        let v = super::versions::publish_current(s, &m, description)?;
        out["stateMachineVersionArn"] = json!(super::versions::version_arn(&v));
    }
    Ok(out)
}

pub(super) fn delete(s: &Service, r: &Req<'_>) -> ApiResult<Value> {
    let arn = r.str("stateMachineArn")?;
    parse_state_machine(arn)?;
    if let Ok(m) = find_machine(s, arn) {
        s.store.delete_machine(&m.arn)?;
    }
    Ok(json!({}))
}

pub(super) fn list(s: &Service, r: &Req<'_>) -> ApiResult<Value> {
    list_page(
        r,
        "stateMachines",
        |offset, limit| s.store.machines(offset, limit),
        |rows| {
            rows
        .iter()
        .map(|m| json!({"stateMachineArn": m.arn, "name": m.name, "type": m.kind, "creationDate": m.created}))
        .collect()
        },
    )
}

pub(super) fn validate(r: &Req<'_>) -> ApiResult<Value> {
    let definition = r.str("definition")?;
    let kind = kind_of(r)?;
    let max = match r.opt_int("maxResults")? {
        None | Some(0) => 100,
        Some(n) => n.clamp(1, 100) as usize,
    };
    let all = diagnostics(definition, &kind);
    let truncated = all.len() > max;
    let diagnostics: Vec<Value> = all
        .into_iter()
        .take(max)
        .map(|(code, message, location)| {
            json!({"severity": "ERROR", "code": code, "message": message, "location": location})
        })
        .collect();
    Ok(json!({
        "result": if diagnostics.is_empty() { "OK" } else { "FAIL" },
        "diagnostics": diagnostics,
        "truncated": truncated,
    }))
}

pub(super) fn describe_for_execution(s: &Service, r: &Req<'_>) -> ApiResult<Value> {
    let arn = r.str("executionArn")?;
    let e = find_execution(s, arn)?;
    let (machine, _) = parse_execution(arn)?;
    let mut out = json!({
        "stateMachineArn": e.machine_arn,
        "name": machine,
        "definition": e.definition,
        "roleArn": e.role_arn,
        "updateDate": e.started,
        "loggingConfiguration": {"level": "OFF", "includeExecutionData": false},
        "tracingConfiguration": {"enabled": false},
    });
    if let Ok(m) = find_machine(s, &e.machine_arn) {
        out["revisionId"] = json!(m.revision);
    }
    Ok(out)
}
