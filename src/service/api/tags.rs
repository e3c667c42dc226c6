//! Tags on state machines and activities: TagResource, UntagResource,
//! ListTagsForResource.

use super::Req;
use super::find_machine;
use super::machines::tags_of;
use crate::service::Service;
use crate::service::error::{ApiError, ApiResult, Code};
use serde_json::{Value, json};

/// The tagged resource's ARN: a state machine or an activity that exists.
fn resource(s: &Service, r: &Req<'_>) -> ApiResult<String> {
    let arn = r.str("resourceArn")?;
    if crate::service::arn::parse_activity(arn).is_ok() {
        return match s.store.activity(arn)? {
            Some(a) => Ok(a.arn),
            None => Err(ApiError::new(
                Code::ResourceNotFound,
                format!("Resource not found: '{arn}'"),
            )),
        };
    }
    Ok(find_machine(s, arn).map_err(not_found)?.arn)
}

/// AWS's limit on tags per resource.
const MAX_TAGS: usize = 50;

pub(super) fn tag(s: &Service, r: &Req<'_>) -> ApiResult<Value> {
    let arn = resource(s, r)?;
    let tags = tags_of(r)?;
    let mut keys: Vec<String> = s.store.tags(&arn)?.into_iter().map(|(k, _)| k).collect();
    keys.extend(tags.iter().map(|(k, _)| k.clone()));
    keys.sort();
    keys.dedup();
    if keys.len() > MAX_TAGS {
        return Err(ApiError::new(
            Code::TooManyTags,
            format!("Too many tags: a resource has at most {MAX_TAGS}"),
        ));
    }
    s.store.set_tags(&arn, &tags)?;
    Ok(json!({}))
}

pub(super) fn untag(s: &Service, r: &Req<'_>) -> ApiResult<Value> {
    let arn = resource(s, r)?;
    let keys: Vec<String> = match r.get("tagKeys") {
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(|k| k.as_str().map(str::to_string))
            .collect(),
        _ => {
            return Err(ApiError::new(
                Code::ValidationException,
                "1 validation error detected: Value null at 'tagKeys' failed to satisfy constraint: Member must not be null",
            ));
        }
    };
    s.store.remove_tags(&arn, &keys)?;
    Ok(json!({}))
}

pub(super) fn list(s: &Service, r: &Req<'_>) -> ApiResult<Value> {
    let arn = resource(s, r)?;
    let tags: Vec<Value> = s
        .store
        .tags(&arn)?
        .into_iter()
        .map(|(k, v)| json!({"key": k, "value": v}))
        .collect();
    Ok(json!({"tags": tags}))
}

/// Tag operations say `ResourceNotFound` for a resource that does not exist.
fn not_found(e: ApiError) -> ApiError {
    match e.code {
        Code::StateMachineDoesNotExist => ApiError::new(
            Code::ResourceNotFound,
            e.message
                .replace("State Machine Does Not Exist", "Resource not found"),
        ),
        _ => e,
    }
}
