//! Map Runs: DescribeMapRun, ListMapRuns, UpdateMapRun. A Distributed Map's run is
//! recorded when it ends (or when its execution parks); UpdateMapRun changes the
//! recorded settings.

use super::{Req, list_page};
use crate::service::Service;
use crate::service::error::{ApiError, ApiResult, Code};
use crate::service::store::MapRunRow;
use serde_json::{Value, json};

fn find(s: &Service, arn: &str) -> ApiResult<MapRunRow> {
    let parts: Vec<&str> = arn.split(':').collect();
    if parts.len() < 8 || parts[0] != "arn" || parts[2] != "states" || parts[5] != "mapRun" {
        return Err(ApiError::new(
            Code::InvalidArn,
            format!("Invalid Arn: '{arn}'"),
        ));
    }
    s.store.map_run(arn)?.ok_or_else(|| {
        ApiError::new(
            Code::ResourceNotFound,
            format!("Resource not found: '{arn}'"),
        )
    })
}

fn counts(m: &MapRunRow) -> Value {
    json!({
        "pending": 0, "running": 0, "succeeded": m.succeeded, "failed": m.failed,
        "timedOut": 0, "aborted": 0, "total": m.total, "resultsWritten": m.results_written,
        "failuresNotRedrivable": 0, "pendingRedrive": 0,
    })
}

pub(super) fn describe(s: &Service, r: &Req<'_>) -> ApiResult<Value> {
    let m = find(s, r.str("mapRunArn")?)?;
    let mut v = json!({
        "mapRunArn": m.arn,
        "executionArn": m.execution_arn,
        "status": m.status,
        "startDate": m.started,
        "maxConcurrency": m.max_concurrency,
        "toleratedFailurePercentage": m.tolerated_failure_percentage,
        "toleratedFailureCount": m.tolerated_failure_count,
        "itemCounts": counts(&m),
        "executionCounts": counts(&m),
        "redriveCount": 0,
    });
    if let Some(t) = m.stopped {
        v["stopDate"] = json!(t);
    }
    Ok(v)
}

pub(super) fn list(s: &Service, r: &Req<'_>) -> ApiResult<Value> {
    let e = super::find_execution(s, r.str("executionArn")?)?;
    list_page(
        r,
        "mapRuns",
        |offset, limit| s.store.map_runs(&e.arn, offset, limit),
        |rows| {
            rows
        .iter()
        .map(|m| {
            let mut v = json!({"executionArn": m.execution_arn, "mapRunArn": m.arn, "stateMachineArn": e.machine_arn, "startDate": m.started});
            if let Some(t) = m.stopped {
                v["stopDate"] = json!(t);
            }
            v
        })
        .collect()
        },
    )
}

pub(super) fn update(s: &Service, r: &Req<'_>) -> ApiResult<Value> {
    let mut m = find(s, r.str("mapRunArn")?)?;
    let invalid = |what: &str| ApiError::new(Code::ValidationException, what.to_string());
    if let Some(n) = r.opt_int("maxConcurrency")? {
        if n < 0 {
            return Err(invalid("maxConcurrency must be at least 0"));
        }
        m.max_concurrency = n;
    }
    if let Some(v) = r.get("toleratedFailurePercentage") {
        let p = v
            .as_f64()
            .ok_or_else(|| invalid("toleratedFailurePercentage must be a number"))?;
        if !(0.0..=100.0).contains(&p) {
            return Err(invalid(
                "toleratedFailurePercentage must be between 0 and 100",
            ));
        }
        m.tolerated_failure_percentage = p;
    }
    if let Some(n) = r.opt_int("toleratedFailureCount")? {
        if n < 0 {
            return Err(invalid("toleratedFailureCount must be at least 0"));
        }
        m.tolerated_failure_count = n;
    }
    s.store.update_map_run(&m)?;
    Ok(json!({}))
}
