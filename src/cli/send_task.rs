//! `asl send-task-success|send-task-failure|send-task-heartbeat`: a small client of the
//! callback operations of the Step Functions API (AWS JSON 1.0 over `POST /`), so that
//! a resources-file command, a test script or a person in another terminal can answer
//! a task token without the aws CLI.

use super::args::SendTaskArgs;
use super::{EXIT_FAILED, EXIT_OK, EXIT_USAGE};
use serde_json::{Map, Value, json};

/// Sends `operation` for the token; prints the refusal (AWS's code and message).
pub fn send(operation: &str, a: SendTaskArgs) -> i32 {
    let command = match operation {
        "SendTaskSuccess" => "send-task-success",
        "SendTaskFailure" => "send-task-failure",
        _ => "send-task-heartbeat",
    };
    let mut body = Map::new();
    body.insert("taskToken".into(), json!(a.token));
    match operation {
        "SendTaskSuccess" => {
            let Some(output) = a.output else {
                eprintln!("asl {command}: --output JSON is required");
                return EXIT_USAGE;
            };
            if let Err(e) = serde_json::from_str::<Value>(&output) {
                eprintln!("asl {command}: --output is not JSON: {e}");
                return EXIT_USAGE;
            }
            body.insert("output".into(), json!(output));
        }
        "SendTaskFailure" => {
            if let Some(e) = a.error {
                body.insert("error".into(), json!(e));
            }
            if let Some(c) = a.cause {
                body.insert("cause".into(), json!(c));
            }
        }
        _ => {}
    }
    let url = format!("{}/", a.endpoint.trim_end_matches('/'));
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let answer = agent
        .post(&url)
        .header("X-Amz-Target", format!("AWSStepFunctions.{operation}"))
        .header("Content-Type", "application/x-amz-json-1.0")
        .send(Value::Object(body).to_string());
    let mut response = match answer {
        Ok(r) => r,
        Err(e) => {
            eprintln!("asl {command}: no answer from {url}: {e}");
            return EXIT_USAGE;
        }
    };
    let status = response.status().as_u16();
    let text = response.body_mut().read_to_string().unwrap_or_default();
    if status == 200 {
        return EXIT_OK;
    }
    let v: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
    match (v["__type"].as_str(), v["message"].as_str()) {
        (Some(code), Some(message)) => eprintln!("asl {command}: {code}: {message}"),
        _ => eprintln!("asl {command}: HTTP {status} from {url}: {text}"),
    }
    EXIT_FAILED
}
