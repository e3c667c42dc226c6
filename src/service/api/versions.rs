//! Versions and aliases: PublishStateMachineVersion, ListStateMachineVersions,
//! DeleteStateMachineVersion, and Create/Describe/Update/Delete/List for aliases. A
//! version is a numbered, immutable copy of a machine's definition and role; an alias
//! routes executions to one or two versions by weight.

use super::find_machine;
use super::{Req, list_page, now};
use crate::service::Service;
use crate::service::arn::parse_state_machine;
use crate::service::error::{ApiError, ApiResult, Code};
use crate::service::store::{Alias, Machine, Version};
use serde_json::{Value, json};

/// What an ARN for starting or describing names: a machine, one of its versions, or
/// one of its aliases (resolved to a version when an execution starts).
pub(super) struct Target {
    pub machine: Machine,
    pub version: Option<Version>,
    pub alias: Option<Alias>,
}

fn not_found(arn: &str) -> ApiError {
    ApiError::new(
        Code::ResourceNotFound,
        format!("Resource not found: '{arn}'"),
    )
}

/// The machine, version or alias an ARN names.
pub(super) fn resolve(s: &Service, arn: &str) -> ApiResult<Target> {
    let (name, qualifier) = parse_state_machine(arn)?;
    let base = s.place.state_machine(&name);
    let machine = find_machine(s, &base).map_err(|e| match qualifier {
        Some(_) => not_found(arn),
        None => e,
    })?;
    if base != arn.split(':').take(7).collect::<Vec<_>>().join(":") {
        return Err(ApiError::new(
            Code::StateMachineDoesNotExist,
            format!("State Machine Does Not Exist: '{arn}'"),
        ));
    }
    match qualifier {
        None => Ok(Target {
            machine,
            version: None,
            alias: None,
        }),
        Some(q) if q.bytes().all(|b| b.is_ascii_digit()) => {
            let n: i64 = q.parse().map_err(|_| not_found(arn))?;
            let version = s
                .store
                .version(&machine.arn, n)?
                .ok_or_else(|| not_found(arn))?;
            Ok(Target {
                machine,
                version: Some(version),
                alias: None,
            })
        }
        Some(q) => {
            let alias = s
                .store
                .alias(&machine.arn, &q)?
                .ok_or_else(|| not_found(arn))?;
            Ok(Target {
                machine,
                version: None,
                alias: Some(alias),
            })
        }
    }
}

pub(super) fn version_arn(v: &Version) -> String {
    format!("{}:{}", v.machine_arn, v.version)
}

fn alias_arn(a: &Alias) -> String {
    format!("{}:{}", a.machine_arn, a.name)
}

/// Publishes the machine's current revision (the same revision twice is one version).
pub(super) fn publish_current(s: &Service, m: &Machine, description: &str) -> ApiResult<Version> {
    if let Some(v) = s.store.versions(&m.arn, 0, 1)?.into_iter().next()
        && v.revision == m.revision
    {
        return Ok(v);
    }
    Ok(s.store.publish(m, description, now())?)
}

pub(super) fn publish(s: &Service, r: &Req<'_>) -> ApiResult<Value> {
    let m = find_machine(s, r.str("stateMachineArn")?)?;
    if let Some(rev) = r.opt_str("revisionId")?
        && rev != m.revision
    {
        return Err(ApiError::new(
            Code::ConflictException,
            format!(
                "Failed to publish the State Machine version for revision {rev}. The current State Machine revision is {}.",
                m.revision
            ),
        ));
    }
    let description = r.opt_str("description")?.unwrap_or("");
    let v = publish_current(s, &m, description)?;
    Ok(json!({"creationDate": v.created, "stateMachineVersionArn": version_arn(&v)}))
}

pub(super) fn list_versions(s: &Service, r: &Req<'_>) -> ApiResult<Value> {
    let m = find_machine(s, r.str("stateMachineArn")?)?;
    list_page(
        r,
        "stateMachineVersions",
        |offset, limit| s.store.versions(&m.arn, offset, limit),
        |rows| {
            rows
        .iter()
        .map(|v| json!({"stateMachineVersionArn": version_arn(v), "creationDate": v.created}))
        .collect()
        },
    )
}

pub(super) fn delete_version(s: &Service, r: &Req<'_>) -> ApiResult<Value> {
    let arn = r.str("stateMachineVersionArn")?;
    let (_, q) = parse_state_machine(arn)?;
    if !q
        .as_deref()
        .is_some_and(|q| q.bytes().all(|b| b.is_ascii_digit()))
    {
        return Err(ApiError::new(
            Code::ValidationException,
            format!("Invalid version ARN: '{arn}'"),
        ));
    }
    let Ok(t) = resolve(s, arn) else {
        return Ok(json!({}));
    };
    let Some(v) = t.version else {
        return Ok(json!({}));
    };
    let versioned = version_arn(&v);
    for a in s.store.aliases(&v.machine_arn, 0, 1000)? {
        if a.routing.contains(&format!("\"{versioned}\"")) {
            return Err(ApiError::new(
                Code::ConflictException,
                format!(
                    "Version to be deleted must not be referenced by an alias. Current list of aliases referencing this version: [{}]",
                    alias_arn(&a)
                ),
            ));
        }
    }
    s.store.delete_version(&v.machine_arn, v.version)?;
    Ok(json!({}))
}

/// AWS's rule for alias names: letters, digits, `-`, `_`, `.`, not only digits.
fn check_alias_name(name: &str) -> ApiResult<()> {
    let ok = !name.is_empty()
        && name.len() <= 80
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
        && !name.chars().all(|c| c.is_ascii_digit());
    if !ok {
        return Err(ApiError::new(
            Code::ValidationException,
            format!(
                "1 validation error detected: Value '{name}' at 'name' failed to satisfy constraint: Member must satisfy regular expression pattern: ^(?=.*[a-zA-Z_\\-\\.])[a-zA-Z0-9_\\-\\.]+$"
            ),
        ));
    }
    Ok(())
}

/// A routing configuration: one or two versions of `machine`, weights summing to 100.
fn routing(s: &Service, r: &Req<'_>, machine_arn: &str) -> ApiResult<Value> {
    let bad = |why: &str| {
        ApiError::new(
            Code::ValidationException,
            format!("Invalid routing configuration: {why}"),
        )
    };
    let list = r
        .get("routingConfiguration")
        .and_then(Value::as_array)
        .ok_or_else(|| bad("routingConfiguration must be a list of one or two {stateMachineVersionArn, weight}"))?;
    if list.is_empty() || list.len() > 2 {
        return Err(bad("it must name one or two versions"));
    }
    let mut total = 0;
    let mut seen = Vec::new();
    for item in list {
        let arn = item
            .get("stateMachineVersionArn")
            .and_then(Value::as_str)
            .ok_or_else(|| bad("stateMachineVersionArn is required"))?;
        let weight = item
            .get("weight")
            .and_then(Value::as_i64)
            .ok_or_else(|| bad("weight is required"))?;
        if !(0..=100).contains(&weight) {
            return Err(bad("a weight is between 0 and 100"));
        }
        let t = resolve(s, arn)?;
        let Some(v) = t.version else {
            return Err(bad(&format!("'{arn}' is not a version ARN")));
        };
        if v.machine_arn != machine_arn {
            return Err(bad(
                "every version must belong to the alias's state machine",
            ));
        }
        if seen.contains(&arn.to_string()) {
            return Err(bad("a version appears twice"));
        }
        seen.push(arn.to_string());
        total += weight;
    }
    if total != 100 {
        return Err(bad("the weights must add up to 100"));
    }
    Ok(Value::Array(list.clone()))
}

pub(super) fn create_alias(s: &Service, r: &Req<'_>) -> ApiResult<Value> {
    let name = r.str("name")?;
    check_alias_name(name)?;
    let description = r.opt_str("description")?.unwrap_or("").to_string();
    let list = r
        .get("routingConfiguration")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let first = list
        .first()
        .and_then(|i| i.get("stateMachineVersionArn"))
        .and_then(Value::as_str)
        .ok_or_else(|| ApiError::new(Code::ValidationException, "1 validation error detected: Value null at 'routingConfiguration' failed to satisfy constraint: Member must not be null"))?;
    let machine = resolve(s, first)?.machine;
    let routing = routing(s, r, &machine.arn)?;
    if let Some(old) = s.store.alias(&machine.arn, name)? {
        if old.description == description
            && serde_json::from_str::<Value>(&old.routing).ok() == Some(routing.clone())
        {
            return Ok(
                json!({"stateMachineAliasArn": alias_arn(&old), "creationDate": old.created}),
            );
        }
        return Err(ApiError::new(
            Code::ConflictException,
            format!("Alias already exists: '{}'", alias_arn(&old)),
        ));
    }
    let a = Alias {
        machine_arn: machine.arn.clone(),
        name: name.to_string(),
        description,
        routing: routing.to_string(),
        created: now(),
        updated: None,
    };
    s.store.put_alias(&a)?;
    Ok(json!({"stateMachineAliasArn": alias_arn(&a), "creationDate": a.created}))
}

fn find_alias(s: &Service, arn: &str) -> ApiResult<Alias> {
    let (_, q) = parse_state_machine(arn)?;
    if q.as_deref()
        .is_none_or(|q| q.bytes().all(|b| b.is_ascii_digit()))
    {
        return Err(ApiError::new(
            Code::InvalidArn,
            format!("Invalid Arn: '{arn}'"),
        ));
    }
    resolve(s, arn)?.alias.ok_or_else(|| not_found(arn))
}

pub(super) fn describe_alias(s: &Service, r: &Req<'_>) -> ApiResult<Value> {
    let a = find_alias(s, r.str("stateMachineAliasArn")?)?;
    let mut v = json!({
        "stateMachineAliasArn": alias_arn(&a),
        "name": a.name,
        "description": a.description,
        "routingConfiguration": serde_json::from_str::<Value>(&a.routing).unwrap_or(Value::Null),
        "creationDate": a.created,
    });
    if let Some(u) = a.updated {
        v["updateDate"] = json!(u);
    }
    Ok(v)
}

pub(super) fn update_alias(s: &Service, r: &Req<'_>) -> ApiResult<Value> {
    let mut a = find_alias(s, r.str("stateMachineAliasArn")?)?;
    if let Some(d) = r.opt_str("description")? {
        a.description = d.to_string();
    }
    if r.get("routingConfiguration").is_some() {
        a.routing = routing(s, r, &a.machine_arn)?.to_string();
    }
    a.updated = Some(now());
    s.store.put_alias(&a)?;
    Ok(json!({"updateDate": a.updated}))
}

pub(super) fn delete_alias(s: &Service, r: &Req<'_>) -> ApiResult<Value> {
    let arn = r.str("stateMachineAliasArn")?;
    if let Ok(a) = find_alias(s, arn) {
        s.store.delete_alias(&a.machine_arn, &a.name)?;
    } else {
        parse_state_machine(arn)?;
    }
    Ok(json!({}))
}

pub(super) fn list_aliases(s: &Service, r: &Req<'_>) -> ApiResult<Value> {
    let m = find_machine(s, r.str("stateMachineArn")?)?;
    list_page(
        r,
        "stateMachineAliases",
        |offset, limit| s.store.aliases(&m.arn, offset, limit),
        |rows| {
            rows.iter()
                .map(|a| json!({"stateMachineAliasArn": alias_arn(a), "creationDate": a.created}))
                .collect()
        },
    )
}

/// The version an alias sends the next execution to (by weight).
pub(super) fn route(s: &Service, a: &Alias) -> ApiResult<Version> {
    let list: Vec<Value> = serde_json::from_str(&a.routing).unwrap_or_default();
    let draw = rand::random::<f64>() * 100.0;
    let mut acc = 0.0;
    let mut chosen = None;
    for item in &list {
        acc += item["weight"].as_f64().unwrap_or(0.0);
        chosen = item["stateMachineVersionArn"].as_str();
        if draw < acc {
            break;
        }
    }
    let arn = chosen
        .ok_or_else(|| ApiError::internal(format!("alias {} routes nowhere", alias_arn(a))))?;
    resolve(s, arn)?.version.ok_or_else(|| not_found(arn))
}

pub(super) fn alias_arn_of(a: &Alias) -> String {
    alias_arn(a)
}
