//! Task resources: a registry from a Task's `Resource` to a handler.
//!
//! - Rust closures registered through [`TaskRegistry::register`] (exact resource or a
//!   pattern with `*` wildcards, which reaches Lambda functions too) and [`TaskRegistry::register_lambda`] (a Lambda function
//!   by name, reached through its function ARN or `arn:aws:states:::lambda:invoke`).
//! - Local commands from a resources file ([`TaskRegistry::load_resources_file`]): the
//!   task input goes to the command's stdin as JSON, its stdout is the result.

use crate::asl::Failure;
use crate::asl::failure::names;
use crate::error::{Error, Result};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::io::Write;
use std::process::{Command, Stdio};
use std::sync::Arc;

/// What a handler is given.
#[derive(Clone, Copy)]
pub struct TaskRequest<'a> {
    pub resource: &'a str,
    pub input: &'a Value,
    pub state_name: &'a str,
    pub clock: &'a dyn crate::exec::Clock,
    /// The attempt's callback token, for a Task that waits for an answer
    /// (`.waitForTaskToken`, or a handler that [`TaskHandler::answers_later`]).
    pub task_token: Option<&'a str>,
    /// The executor running the Task (for handlers that run executions of their own,
    /// such as nested ones); None where the handler runs on a thread of its own.
    pub executor: Option<&'a crate::exec::Executor>,
}

pub trait TaskHandler: Send + Sync {
    fn invoke(&self, req: &TaskRequest<'_>) -> Result<Value, Failure>;
    /// True when an invocation waits on something outside the process (a command, the
    /// network): Maps that call it run on the blocking pool, never on rayon's workers.
    fn is_blocking(&self) -> bool {
        false
    }
    /// True when the Task's result comes later, as the answer to its token (like a
    /// callback), rather than from `invoke`: `invoke` starts the work and hands the
    /// token to whoever answers (a nested execution's `.sync`).
    fn answers_later(&self) -> bool {
        false
    }
}

impl<F> TaskHandler for F
where
    F: Fn(&TaskRequest<'_>) -> Result<Value, Failure> + Send + Sync,
{
    fn invoke(&self, req: &TaskRequest<'_>) -> Result<Value, Failure> {
        self(req)
    }
}

/// How a resource was reached; decides the history events and the result shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaskKind {
    /// A Lambda function ARN as Resource: the result is the payload.
    LambdaFunction,
    /// `arn:aws:states:::lambda:invoke`: the result is Lambda's Invoke response.
    LambdaInvoke,
    /// Any other resource.
    Service,
}

pub const LAMBDA_INVOKE: &str = "arn:aws:states:::lambda:invoke";

#[derive(Default, Clone)]
pub struct TaskRegistry {
    exact: HashMap<String, Arc<dyn TaskHandler>>,
    /// Resources with `*` wildcards (`arn:aws:states:::sqs:*`, `arn:aws:lambda:*:function:*`,
    /// `*`), in registration order.
    patterns: Vec<(Pattern, Arc<dyn TaskHandler>)>,
    lambdas: HashMap<String, Arc<dyn TaskHandler>>,
}

/// A resource pattern: `*` stands for any run of characters (none included).
#[derive(Debug, Clone)]
struct Pattern {
    /// The literal pieces between the `*`s.
    pieces: Vec<String>,
}

impl Pattern {
    fn new(text: &str) -> Pattern {
        Pattern {
            pieces: text.split('*').map(str::to_string).collect(),
        }
    }

    /// How specific the pattern is: its literal characters. The most specific match wins.
    fn literal_len(&self) -> usize {
        self.pieces.iter().map(String::len).sum()
    }

    fn matches(&self, text: &str) -> bool {
        let (first, rest) = match self.pieces.split_first() {
            Some(x) => x,
            None => return text.is_empty(),
        };
        let Some(mut tail) = text.strip_prefix(first.as_str()) else {
            return false;
        };
        let Some((last, middle)) = rest.split_last() else {
            return tail.is_empty();
        };
        for piece in middle {
            match tail.find(piece.as_str()) {
                Some(i) => tail = &tail[i + piece.len()..],
                None => return false,
            }
        }
        tail.len() >= last.len() && tail.ends_with(last.as_str())
    }
}

impl std::fmt::Debug for TaskRegistry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TaskRegistry")
            .field("exact", &self.exact.keys().collect::<Vec<_>>())
            .field(
                "patterns",
                &self
                    .patterns
                    .iter()
                    .map(|(p, _)| p.pieces.join("*"))
                    .collect::<Vec<_>>(),
            )
            .field("lambdas", &self.lambdas.keys().collect::<Vec<_>>())
            .finish()
    }
}

/// The details of a Task* history event (`fields`, an object) with the resource as
/// AWS records it: an integration `arn:aws:states:::SERVICE:ACTION` as
/// `"resourceType": "SERVICE", "resource": "ACTION"` (the pattern's suffix kept:
/// `startExecution.sync:2`; `aws-sdk:s3` and `getObject` for SDK integrations);
/// another ARN as `"resource"`.
pub fn task_event_details(resource: &str, fields: Value) -> Value {
    let mut d = serde_json::Map::new();
    let integration = resource
        .strip_prefix("arn:")
        .and_then(|r| r.split_once(":states:::"))
        .map(|(_, rest)| rest);
    match integration.and_then(|rest| {
        let (service, action) = rest.split_once(':')?;
        Some(match service {
            "aws-sdk" => {
                let (sdk, action) = action.split_once(':')?;
                (format!("aws-sdk:{sdk}"), action)
            }
            _ => (service.to_string(), action),
        })
    }) {
        Some((kind, action)) => {
            d.insert("resourceType".into(), json!(kind));
            d.insert("resource".into(), json!(action));
        }
        None => {
            d.insert("resource".into(), json!(resource));
        }
    }
    if let Value::Object(m) = fields {
        d.extend(m);
    }
    Value::Object(d)
}

/// The function name in a Lambda function name, partial or full ARN, without qualifier.
pub fn lambda_function_name(s: &str) -> &str {
    let s = match s.find(":function:") {
        Some(i) => &s[i + ":function:".len()..],
        None => s,
    };
    s.split(':').next().unwrap_or(s)
}

impl TaskRegistry {
    pub fn new() -> Self {
        Self::default()
    }

    /// Registers a handler for a Resource; a `*` anywhere makes it a pattern (`*` stands
    /// for any run of characters). Patterns also reach Lambda functions: a function ARN
    /// Resource, and `lambda:invoke` through the ARN of its `FunctionName`, keeping the
    /// Lambda result shapes. An exact resource or function name wins over any pattern,
    /// and the pattern with the most literal characters over the others.
    pub fn register(&mut self, resource: &str, h: impl TaskHandler + 'static) {
        let h: Arc<dyn TaskHandler> = Arc::new(h);
        if resource.contains('*') {
            self.patterns.push((Pattern::new(resource), h));
        } else {
            self.exact.insert(resource.to_string(), h);
        }
    }

    /// Whether a handler is registered for exactly `resource`.
    pub fn has_exact(&self, resource: &str) -> bool {
        self.exact.contains_key(resource)
    }

    /// The most specific pattern matching any of `texts`.
    fn pattern_for(&self, texts: &[&str]) -> Option<&Arc<dyn TaskHandler>> {
        let mut best: Option<(usize, &Arc<dyn TaskHandler>)> = None;
        for (p, h) in &self.patterns {
            if texts.iter().any(|t| p.matches(t)) && best.is_none_or(|(n, _)| p.literal_len() > n) {
                best = Some((p.literal_len(), h));
            }
        }
        best.map(|(_, h)| h)
    }

    /// Registers a Lambda function by name (reached by `arn:aws:lambda:…:function:NAME`
    /// and by `arn:aws:states:::lambda:invoke` with `FunctionName`).
    pub fn register_lambda(&mut self, name: &str, h: impl TaskHandler + 'static) {
        self.lambdas
            .insert(lambda_function_name(name).to_string(), Arc::new(h));
    }

    /// Resolves a resource to its handler and kind. For `lambda:invoke` the caller
    /// passes the Parameters so the function can be found by `FunctionName`.
    pub fn resolve(
        &self,
        resource: &str,
        params: &Value,
    ) -> Result<(Arc<dyn TaskHandler>, TaskKind), Failure> {
        if let Some(h) = self.exact.get(resource) {
            let kind = if resource.contains(":lambda:") && resource.contains(":function:") {
                TaskKind::LambdaFunction
            } else {
                TaskKind::Service
            };
            return Ok((h.clone(), kind));
        }
        let base = resource
            .strip_suffix(".waitForTaskToken")
            .unwrap_or(resource);
        if base == LAMBDA_INVOKE {
            let fname = params
                .get("FunctionName")
                .and_then(Value::as_str)
                .unwrap_or("");
            let found = self
                .lambdas
                .get(lambda_function_name(fname))
                .or_else(|| self.pattern_for(&[&function_arn(fname), resource]));
            return match found {
                Some(h) => Ok((h.clone(), TaskKind::LambdaInvoke)),
                None => Err(Failure::new(
                    "Lambda.ResourceNotFoundException",
                    format!(
                        "Function not found: {} (Service: AWSLambda; Status Code: 404; Error Code: ResourceNotFoundException; Request ID: {}; Proxy: null)",
                        full_function_arn(fname),
                        uuid::Uuid::new_v4()
                    ),
                )),
            };
        }
        if resource.starts_with("arn:aws:lambda:") && resource.contains(":function:") {
            if let Some(h) = self
                .lambdas
                .get(lambda_function_name(resource))
                .or_else(|| self.pattern_for(&[resource]))
            {
                return Ok((h.clone(), TaskKind::LambdaFunction));
            }
            return Err(Failure::new(
                "Lambda.ResourceNotFoundException",
                format!("Function not found: {resource}"),
            ));
        }
        if let Some(h) = self.pattern_for(&[resource]) {
            return Ok((h.clone(), TaskKind::Service));
        }
        Err(Failure::new(
            names::TASK_FAILED,
            format!(
                "No handler is registered for the resource '{resource}' (register one, or map it to a command with --resources)"
            ),
        ))
    }

    /// Whether the handler registered for exactly `resource` answers later (see
    /// [`TaskHandler::answers_later`]).
    pub fn answers_later(&self, resource: &str) -> bool {
        match self.exact.get(resource) {
            Some(h) => h.answers_later(),
            None => self
                .pattern_for(&[resource])
                .is_some_and(|h| h.answers_later()),
        }
    }

    /// Would a Task with this resource block its thread? Unknown resources fail at once,
    /// so they don't; `lambda:invoke` blocks when any registered function does.
    pub fn is_blocking(&self, resource: &str) -> bool {
        if super::callback::is_callback(resource)
            || super::callback::is_activity(resource)
            || self.answers_later(resource)
        {
            // It waits for its token's answer.
            return true;
        }
        if let Some(h) = self.exact.get(resource) {
            return h.is_blocking();
        }
        let base = resource
            .strip_suffix(".waitForTaskToken")
            .unwrap_or(resource);
        if base == LAMBDA_INVOKE {
            // The function is only known at run time: any that could be reached.
            return self.lambdas.values().any(|h| h.is_blocking())
                || self.patterns.iter().any(|(_, h)| h.is_blocking());
        }
        if resource.contains(":function:")
            && let Some(h) = self.lambdas.get(lambda_function_name(resource))
        {
            return h.is_blocking();
        }
        self.pattern_for(&[resource])
            .is_some_and(|h| h.is_blocking())
    }

    /// Loads a resources file: `{"<Resource, pattern* or Lambda function name>": {"command": ["prog", "arg"]} | "shell command"}`.
    pub fn load_resources_file(&mut self, path: &str) -> Result<()> {
        let Value::Object(m) = crate::error::read_json_file(path)? else {
            return Err(Error::Input(format!(
                "{path}: a resources file is a JSON object mapping a Resource to a command"
            )));
        };
        let dir = std::path::Path::new(path)
            .parent()
            .map(|p| p.to_path_buf())
            .unwrap_or_default();
        for (key, spec) in m {
            let argv: Vec<String> = match &spec {
                Value::String(s) => vec!["sh".into(), "-c".into(), s.clone()],
                Value::Array(a) => a
                    .iter()
                    .filter_map(|x| x.as_str().map(str::to_string))
                    .collect(),
                Value::Object(o) => match o.get("command") {
                    Some(Value::String(s)) => vec!["sh".into(), "-c".into(), s.clone()],
                    Some(Value::Array(a)) => a
                        .iter()
                        .filter_map(|x| x.as_str().map(str::to_string))
                        .collect(),
                    _ => Vec::new(),
                },
                _ => Vec::new(),
            };
            if argv.is_empty() {
                return Err(Error::Input(format!(
                    "{path}: /{key}: expected a command: a string, an array of arguments, or {{\"command\": ...}}"
                )));
            }
            let h = CommandHandler {
                argv,
                cwd: dir.clone(),
            };
            if key.starts_with("arn:") || key.contains('*') {
                if key.contains(":lambda:") && key.contains(":function:") && !key.contains('*') {
                    self.register_lambda(&key, h.clone());
                }
                self.register(&key, h);
            } else {
                self.register_lambda(&key, h);
            }
        }
        Ok(())
    }
}

/// The ARN a `FunctionName` (name, `name:qualifier`, partial or full ARN) stands for,
/// as resource patterns see it.
fn function_arn(name: &str) -> String {
    if name.starts_with("arn:") {
        name.to_string()
    } else if name.contains(":function:") {
        format!("arn:aws:lambda:us-east-1:{name}")
    } else {
        format!("arn:aws:lambda:us-east-1:111111111111:function:{name}")
    }
}

pub fn full_function_arn(name: &str) -> String {
    if name.starts_with("arn:") {
        if name.matches(':').count() >= 7 {
            name.to_string()
        } else {
            format!("{name}:$LATEST")
        }
    } else {
        format!("arn:aws:lambda:us-east-1:111111111111:function:{name}:$LATEST")
    }
}

/// Runs a local command per task: input JSON on stdin, result JSON on stdout.
/// A non-zero exit, or an answer `{"errorType": …, "errorMessage": …}`, is a task failure.
#[derive(Debug, Clone)]
pub struct CommandHandler {
    pub argv: Vec<String>,
    pub cwd: std::path::PathBuf,
}

impl TaskHandler for CommandHandler {
    fn is_blocking(&self) -> bool {
        true
    }

    fn invoke(&self, req: &TaskRequest<'_>) -> Result<Value, Failure> {
        let fail = |cause: String| Failure::new(names::TASK_FAILED, cause);
        let mut cmd = Command::new(&self.argv[0]);
        cmd.args(&self.argv[1..])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        if !self.cwd.as_os_str().is_empty() {
            cmd.current_dir(&self.cwd);
        }
        cmd.env("ASL_RESOURCE", req.resource)
            .env("ASL_STATE_NAME", req.state_name);
        let mut child = cmd
            .spawn()
            .map_err(|e| fail(format!("could not start '{}': {e}", self.argv[0])))?;
        let input = serde_json::to_vec(req.input).unwrap_or_default();
        let writer = child
            .stdin
            .take()
            .map(|mut stdin| std::thread::spawn(move || stdin.write_all(&input)));
        let out = child
            .wait_with_output()
            .map_err(|e| fail(format!("'{}' failed: {e}", self.argv[0])))?;
        if let Some(w) = writer {
            let _ = w.join();
        }
        let stdout = String::from_utf8_lossy(&out.stdout);
        let parsed: Option<Value> = serde_json::from_str(stdout.trim()).ok();
        if let Some(Value::Object(m)) = &parsed
            && let Some(et) = m.get("errorType").and_then(Value::as_str)
        {
            return Err(Failure::new(
                et,
                serde_json::to_string(&parsed).unwrap_or_default(),
            ));
        }
        if !out.status.success() {
            let stderr = String::from_utf8_lossy(&out.stderr);
            return Err(fail(format!(
                "'{}' exited with {}: {}",
                self.argv.join(" "),
                out.status,
                stderr.trim()
            )));
        }
        match parsed {
            Some(v) => Ok(v),
            None if stdout.trim().is_empty() => Ok(Value::Null),
            None => Err(fail(format!(
                "'{}' did not print JSON on stdout: {}",
                self.argv.join(" "),
                stdout.trim()
            ))),
        }
    }
}

/// Lambda's Invoke API response, as `arn:aws:states:::lambda:invoke` returns it.
/// With `log_tail` (Parameters `LogType: Tail`) it carries a `LogResult`, the base64 of
/// the end of the function's log.
pub fn lambda_invoke_response(payload: Value, log_tail: bool) -> Value {
    let rid = uuid::Uuid::new_v4().to_string();
    let len = serde_json::to_string(&payload)
        .map(|s| s.len())
        .unwrap_or(0)
        .to_string();
    let date = chrono::Utc::now()
        .format("%a, %d %b %Y %H:%M:%S GMT")
        .to_string();
    let trace = format!(
        "Root=1-{:08x}-{}",
        chrono::Utc::now().timestamp(),
        &uuid::Uuid::new_v4().simple().to_string()[..24]
    );
    let mut r = json!({
        "ExecutedVersion": "$LATEST",
        "Payload": payload,
        "SdkHttpMetadata": {
            "AllHttpHeaders": {
                "X-Amz-Executed-Version": ["$LATEST"],
                "x-amzn-Remapped-Content-Length": ["0"],
                "Connection": ["keep-alive"],
                "x-amzn-RequestId": [rid],
                "Content-Length": [len],
                "Date": [date],
                "X-Amzn-Trace-Id": [trace],
                "Content-Type": ["application/json"],
            },
            "HttpHeaders": {
                "Connection": "keep-alive",
                "Content-Length": len,
                "Content-Type": "application/json",
                "Date": date,
                "X-Amz-Executed-Version": "$LATEST",
                "x-amzn-Remapped-Content-Length": "0",
                "x-amzn-RequestId": rid,
                "X-Amzn-Trace-Id": trace,
            },
            "HttpStatusCode": 200
        },
        "SdkResponseMetadata": { "RequestId": rid },
        "StatusCode": 200
    });
    if log_tail {
        use base64::Engine;
        let log = format!(
            "START RequestId: {rid} Version: $LATEST\nEND RequestId: {rid}\nREPORT RequestId: {rid}\tDuration: 1.00 ms\n"
        );
        let b64 = base64::engine::general_purpose::STANDARD.encode(log);
        r["LogResult"] = json!(b64);
        r["SdkHttpMetadata"]["AllHttpHeaders"]["X-Amz-Log-Result"] = json!([b64]);
        r["SdkHttpMetadata"]["HttpHeaders"]["X-Amz-Log-Result"] = json!(b64);
    }
    r
}

impl crate::plan::BlockingTasks for TaskRegistry {
    fn is_blocking(&self, resource: &str) -> bool {
        TaskRegistry::is_blocking(self, resource)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn task_events_name_resources_as_aws_does() {
        assert_eq!(
            task_event_details("arn:aws:states:::lambda:invoke", json!({"output": "{}"})),
            json!({"resourceType": "lambda", "resource": "invoke", "output": "{}"})
        );
        assert_eq!(
            task_event_details("arn:aws:states:::states:startExecution.sync:2", json!({})),
            json!({"resourceType": "states", "resource": "startExecution.sync:2"})
        );
        assert_eq!(
            task_event_details("arn:aws-us-gov:states:::aws-sdk:s3:getObject", json!({})),
            json!({"resourceType": "aws-sdk:s3", "resource": "getObject"})
        );
        assert_eq!(
            task_event_details("arn:aws:states:us-east-1:1:activity:a", json!({})),
            json!({"resource": "arn:aws:states:us-east-1:1:activity:a"})
        );
    }

    #[test]
    fn patterns_match_with_a_star_anywhere() {
        let m = |p: &str, t: &str| Pattern::new(p).matches(t);
        assert!(m("*", ""));
        assert!(m("*", "arn:aws:lambda:us-east-1:1:function:f"));
        assert!(m(
            "arn:aws:lambda:*:function:*",
            "arn:aws:lambda:us-east-1:1:function:f"
        ));
        assert!(!m(
            "arn:aws:lambda:*:function:*",
            "arn:aws:states:::lambda:invoke"
        ));
        assert!(m(
            "arn:aws:states:::sqs:*",
            "arn:aws:states:::sqs:sendMessage"
        ));
        assert!(m("*:sendMessage", "arn:aws:states:::sqs:sendMessage"));
        assert!(!m(
            "*:sendMessage",
            "arn:aws:states:::sqs:sendMessage.waitForTaskToken"
        ));
        assert!(m("a*b*b", "abb"));
        assert!(!m("a*b*b", "ab"));
        assert!(m("exact", "exact"));
        assert!(!m("exact", "exact2"));
    }

    #[test]
    fn the_most_specific_match_wins_and_an_exact_name_beats_patterns() {
        let answer = |name: &'static str| move |_: &TaskRequest<'_>| Ok(json!(name));
        let mut r = TaskRegistry::new();
        r.register("*", answer("any"));
        r.register("arn:aws:lambda:*", answer("lambda"));
        r.register("arn:aws:lambda:*:function:checkout*", answer("checkout"));
        r.register_lambda("checkout-fixed", answer("exact"));
        let ask = |resource: &str, params: Value| {
            let (h, kind) = r.resolve(resource, &params).expect("resolves");
            let clock = crate::exec::VirtualClock::default();
            let req = TaskRequest {
                task_token: None,
                executor: None,
                resource,
                input: &params,
                state_name: "S",
                clock: &clock,
            };
            (h.invoke(&req).expect("answers"), kind)
        };
        let arn = |f: &str| format!("arn:aws:lambda:us-east-1:123456789012:function:{f}");
        assert_eq!(
            ask(&arn("other"), json!({})),
            (json!("lambda"), TaskKind::LambdaFunction)
        );
        assert_eq!(
            ask(&arn("checkout-7"), json!({})),
            (json!("checkout"), TaskKind::LambdaFunction)
        );
        assert_eq!(
            ask(&arn("checkout-fixed"), json!({})),
            (json!("exact"), TaskKind::LambdaFunction)
        );
        assert_eq!(
            ask(LAMBDA_INVOKE, json!({"FunctionName": "checkout-2:prod"})),
            (json!("checkout"), TaskKind::LambdaInvoke)
        );
        assert_eq!(
            ask(
                LAMBDA_INVOKE,
                json!({"FunctionName": "123456789012:function:x"})
            ),
            (json!("lambda"), TaskKind::LambdaInvoke)
        );
        assert_eq!(
            ask("arn:aws:states:::sns:publish", json!({})),
            (json!("any"), TaskKind::Service)
        );
    }
}
