//! `asl test-state`: one state run alone, as the TestState API runs it (the request
//! is built in that API's shape and checked by the same code as `asl serve`'s).

use super::args::TestStateArgs;
use super::setup::{LOCAL_REGION, build_executor, read_input};
use super::{EXIT_FAILED, EXIT_INVALID, EXIT_OK, EXIT_USAGE, read_source};
use asl_engine::exec::test_state::{Refusal, test_state as run_state};
use asl_engine::service::api::test_state::request_from_json;
use asl_engine::service::error::Code;
use serde_json::{Map, json};

pub fn test_state(a: TestStateArgs) -> i32 {
    match inner(a) {
        Ok(c) | Err(c) => c,
    }
}

fn inner(a: TestStateArgs) -> Result<i32, i32> {
    let text = read_source(&a.definition).map_err(|e| {
        eprintln!("asl test-state: {e}");
        EXIT_USAGE
    })?;
    let (definition, _) = asl_engine::asl::validate::parse_definition(&text).map_err(|d| {
        eprintln!("asl test-state: {}: {d}", a.definition);
        EXIT_INVALID
    })?;
    let input = read_input("test-state", a.input.as_deref())?;
    let mut m = Map::new();
    m.insert("definition".into(), json!(definition.to_string()));
    m.insert("input".into(), json!(input.to_string()));
    m.insert("inspectionLevel".into(), json!(a.inspection_level));
    m.insert("revealSecrets".into(), json!(a.reveal_secrets));
    if let Some(n) = &a.state_name {
        m.insert("stateName".into(), json!(n));
    }
    if let Some(v) = &a.variables {
        m.insert("variables".into(), json!(v));
    }
    if let Some(c) = &a.context {
        m.insert("context".into(), json!(c));
    }
    match (&a.mock_result, &a.mock_error) {
        (Some(r), _) => {
            m.insert(
                "mock".into(),
                json!({"result": r, "fieldValidationMode": a.field_validation}),
            );
        }
        (None, Some(e)) => {
            m.insert(
                "mock".into(),
                json!({"errorOutput": {"error": e, "cause": a.mock_cause}}),
            );
        }
        (None, None) => {}
    }
    let mut config = Map::new();
    if let Some(n) = a.retrier_retry_count {
        config.insert("retrierRetryCount".into(), json!(n));
    }
    if let Some(n) = a.map_iteration_failure_count {
        config.insert("mapIterationFailureCount".into(), json!(n));
    }
    if let Some(file) = &a.map_item_reader_data {
        let data = read_source(file).map_err(|e| {
            eprintln!("asl test-state: --map-item-reader-data: {e}");
            EXIT_USAGE
        })?;
        config.insert("mapItemReaderData".into(), json!(data));
    }
    if let Some(s) = &a.error_caused_by_state {
        config.insert("errorCausedByState".into(), json!(s));
    }
    if !config.is_empty() {
        m.insert("stateConfiguration".into(), config.into());
    }
    let req = request_from_json(&m).map_err(|e| {
        eprintln!("asl test-state: {}: {}", e.code.name(), e.message);
        if e.code == Code::InvalidDefinition {
            EXIT_INVALID
        } else {
            EXIT_USAGE
        }
    })?;
    let ex = build_executor("test-state", &a.exec, LOCAL_REGION)?;
    let answer = run_state(&ex, &req).map_err(|refusal| match refusal {
        Refusal::Definition(m) => {
            eprintln!("asl test-state: {}: {m}", a.definition);
            EXIT_INVALID
        }
        Refusal::Request(m) => {
            eprintln!("asl test-state: {m}");
            EXIT_USAGE
        }
    })?;
    let mut out = answer.to_json();
    // The output as JSON, for a person or jq (the API gives it as JSON text).
    if let Some(o) = &answer.output {
        out["output"] = o.clone();
    }
    println!("{}", serde_json::to_string_pretty(&out).unwrap_or_default());
    Ok(match answer.status {
        "SUCCEEDED" | "CAUGHT_ERROR" => EXIT_OK,
        _ => EXIT_FAILED,
    })
}
