//! The console: a page at `/` (same port as the API) that shows state machines,
//! executions, their graphs coloured by what happened, events, Map runs, and pending
//! callbacks and activity tasks with Approve/Reject buttons.
//!
//! The page talks to `/console/api/*` only:
//! - `call/{Op}`: a Step Functions operation (a fixed list: reads, StartExecution,
//!   StopExecution, SendTaskSuccess/Failure), answered by the same code as the API;
//! - `graph`: a state machine's or an execution's graph as SVG (laid out here);
//! - `states`: what happened to each state of an execution, read from its history one
//!   event at a time (a Map of millions of items is never sent to the page);
//! - `pending`: the execution's tokens still waiting for an answer;
//! - `login`: with `--auth`, an access key and its secret open a session (an HttpOnly,
//!   SameSite=Strict cookie).
//!
//! Cross-site requests are refused: every `/console/api` request must carry the
//! `X-Asl-Console` header (a page elsewhere can't send it without a CORS preflight,
//! which is never granted) and, when the browser sends `Origin`, come from this host.
//! Everything shown is escaped by the page (text nodes, never HTML) and by the SVG.

use super::Service;
use super::api;
use crate::graph::{Graph, Status, Tracker};
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

const INDEX: &str = include_str!("index.html");
const SCRIPT: &str = include_str!("console.js");
const STYLE: &str = include_str!("console.css");

/// The operations the page may call.
const OPERATIONS: &[&str] = &[
    "ListStateMachines",
    "DescribeStateMachine",
    "ListStateMachineVersions",
    "ListStateMachineAliases",
    "ListExecutions",
    "DescribeExecution",
    "GetExecutionHistory",
    "ListMapRuns",
    "DescribeMapRun",
    "ListActivities",
    "StartExecution",
    "StopExecution",
    "SendTaskSuccess",
    "SendTaskFailure",
];

/// Events read per query while computing the states of an execution.
const EVENTS_PER_READ: usize = 2000;

struct Console {
    service: Arc<Service>,
    /// Session ids handed out by `login` (only with `--auth`).
    sessions: Mutex<HashSet<String>>,
    /// What the history said so far of the executions being watched.
    trackers: Mutex<HashMap<String, (Tracker, usize)>>,
}

/// The console's routes, in front of the API (`api`, which answers everything else:
/// `POST /` in particular).
pub fn routes(service: Arc<Service>, api: Router) -> Router {
    let console = Arc::new(Console {
        service,
        sessions: Mutex::new(HashSet::new()),
        trackers: Mutex::new(HashMap::new()),
    });
    Router::new()
        .route("/", get(index).fallback_service(api.clone()))
        .route("/console", get(index))
        .route(
            "/console/console.js",
            get(|| async { asset(SCRIPT, "text/javascript; charset=utf-8") }),
        )
        .route(
            "/console/console.css",
            get(|| async { asset(STYLE, "text/css; charset=utf-8") }),
        )
        .route("/console/api/session", get(session))
        .route("/console/api/login", post(login))
        .route("/console/api/call/{op}", post(call))
        .route("/console/api/graph", get(graph))
        .route("/console/api/states", get(states))
        .route("/console/api/pending", get(pending))
        .with_state(console)
        .fallback_service(api)
}

/// Headers of every console response: no framing by other sites, no sniffing, and a
/// content security policy that allows only this origin's script and style.
fn secure(mut r: Response) -> Response {
    let h = r.headers_mut();
    h.insert("x-frame-options", HeaderValue::from_static("DENY"));
    h.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    h.insert("referrer-policy", HeaderValue::from_static("no-referrer"));
    h.insert(
        "content-security-policy",
        HeaderValue::from_static(
            "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'",
        ),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

fn asset(body: &'static str, content_type: &'static str) -> Response {
    secure(([(header::CONTENT_TYPE, content_type)], body).into_response())
}

async fn index() -> Response {
    asset(INDEX, "text/html; charset=utf-8")
}

fn refuse(status: StatusCode, code: &str, message: impl Into<String>) -> Response {
    secure(
        (
            status,
            axum::Json(json!({"__type": code, "message": message.into()})),
        )
            .into_response(),
    )
}

fn session_cookie(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().strip_prefix("asl_console_session="))
        .map(str::to_string)
        .next()
}

impl Console {
    /// The `executionArn` of a console request that may be answered.
    fn execution_arn(
        &self,
        headers: &HeaderMap,
        q: &HashMap<String, String>,
    ) -> Result<String, Response> {
        self.check(headers, true)?;
        q.get("executionArn").cloned().ok_or_else(|| {
            refuse(
                StatusCode::BAD_REQUEST,
                "ValidationException",
                "executionArn is required",
            )
        })
    }

    /// Refuses cross-site requests, and requests without a session when `--auth` is on.
    fn check(&self, headers: &HeaderMap, needs_session: bool) -> Result<(), Response> {
        if headers.get("x-asl-console").is_none() {
            return Err(refuse(
                StatusCode::FORBIDDEN,
                "AccessDeniedException",
                "console requests must carry the X-Asl-Console header",
            ));
        }
        if let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) {
            let host = headers
                .get(header::HOST)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            let same = origin
                .split_once("://")
                .is_some_and(|(_, rest)| rest.eq_ignore_ascii_case(host));
            if !same {
                return Err(refuse(
                    StatusCode::FORBIDDEN,
                    "AccessDeniedException",
                    format!("cross-site request refused (Origin {origin}, Host {host})"),
                ));
            }
        }
        if needs_session && self.service.auth.is_some() {
            let ok = session_cookie(headers).is_some_and(|id| {
                self.sessions
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .contains(&id)
            });
            if !ok {
                return Err(refuse(
                    StatusCode::UNAUTHORIZED,
                    "MissingAuthenticationTokenException",
                    "sign in with an access key of --auth",
                ));
            }
        }
        Ok(())
    }
}

async fn session(State(c): State<Arc<Console>>, headers: HeaderMap) -> Response {
    if let Err(r) = c.check(&headers, false) {
        return r;
    }
    let signed_in = c.check(&headers, true).is_ok();
    secure(
        axum::Json(json!({
            "auth": c.service.auth.is_some(),
            "signedIn": signed_in,
            "region": c.service.place.region,
            "account": c.service.place.account,
        }))
        .into_response(),
    )
}

async fn login(State(c): State<Arc<Console>>, headers: HeaderMap, body: Bytes) -> Response {
    if let Err(r) = c.check(&headers, false) {
        return r;
    }
    let Some(keys) = &c.service.auth else {
        return secure(axum::Json(json!({"signedIn": true})).into_response());
    };
    let req: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let id = req.get("accessKeyId").and_then(Value::as_str).unwrap_or("");
    let secret = req
        .get("secretAccessKey")
        .and_then(Value::as_str)
        .unwrap_or("");
    let known = keys
        .0
        .get(id)
        .is_some_and(|s| constant_time_eq(s.as_bytes(), secret.as_bytes()));
    if !known {
        return refuse(
            StatusCode::FORBIDDEN,
            "UnrecognizedClientException",
            "The access key or its secret is not one of --auth's",
        );
    }
    let session = format!("{:032x}", rand::random::<u128>());
    c.sessions
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .insert(session.clone());
    let mut r = secure(axum::Json(json!({"signedIn": true})).into_response());
    if let Ok(v) = HeaderValue::from_str(&format!(
        "asl_console_session={session}; HttpOnly; SameSite=Strict; Path=/console"
    )) {
        r.headers_mut().insert(header::SET_COOKIE, v);
    }
    r
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

async fn call(
    State(c): State<Arc<Console>>,
    Path(op): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Err(r) = c.check(&headers, true) {
        return r;
    }
    if !OPERATIONS.contains(&op.as_str()) {
        return refuse(
            StatusCode::BAD_REQUEST,
            "UnknownOperationException",
            format!("the console does not call {op}"),
        );
    }
    match api::handle(Arc::clone(&c.service), &op, body).await {
        Ok(v) => secure(axum::Json(v).into_response()),
        Err(e) => secure(e.into_response()),
    }
}

/// The definition an ARN names: a state machine's (or version's), or the one an
/// execution ran.
async fn definition_of(c: &Arc<Console>, arn: &str) -> Result<String, Response> {
    let (op, field) = if arn.contains(":execution:") || arn.contains(":express:") {
        ("DescribeStateMachineForExecution", "executionArn")
    } else {
        ("DescribeStateMachine", "stateMachineArn")
    };
    let body = Bytes::from(json!({ field: arn }).to_string());
    match api::handle(Arc::clone(&c.service), op, body).await {
        Ok(v) => Ok(v
            .get("definition")
            .and_then(Value::as_str)
            .unwrap_or("{}")
            .to_string()),
        Err(e) => Err(secure(e.into_response())),
    }
}

/// Executions whose states the console remembers (each with the events read so far).
const TRACKED: usize = 64;

/// Brings an execution's tracker up to date: only the events after those it has read
/// are read (a history only grows), a page at a time.
fn track(c: &Console, arn: &str) -> Result<serde_json::Map<String, Value>, String> {
    let taken = c
        .trackers
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .remove(arn);
    let (mut t, mut offset) = taken.unwrap_or_default();
    loop {
        let page = c
            .service
            .store
            .events(arn, false, offset, EVENTS_PER_READ)
            .map_err(|e| format!("reading the history: {e}"))?;
        for body in &page {
            if let Ok(e) = serde_json::from_str::<Value>(body) {
                t.feed(&e);
            }
        }
        offset += page.len();
        if page.len() < EVENTS_PER_READ {
            break;
        }
    }
    let states = t
        .states
        .iter()
        .map(|(k, v)| (k.clone(), v.to_json()))
        .collect();
    let mut trackers = c.trackers.lock().unwrap_or_else(|p| p.into_inner());
    if trackers.len() >= TRACKED {
        trackers.clear();
    }
    trackers.insert(arn.to_string(), (t, offset));
    Ok(states)
}

async fn graph(
    State(c): State<Arc<Console>>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    if let Err(r) = c.check(&headers, true) {
        return r;
    }
    let Some(arn) = q.get("arn") else {
        return refuse(
            StatusCode::BAD_REQUEST,
            "ValidationException",
            "arn is required",
        );
    };
    let text = match definition_of(&c, arn).await {
        Ok(t) => t,
        Err(r) => return r,
    };
    let def: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
    match Graph::from_definition(&def) {
        Ok(g) => secure(
            (
                [(header::CONTENT_TYPE, "image/svg+xml; charset=utf-8")],
                g.render(crate::graph::Format::Svg, &HashMap::<String, Status>::new()),
            )
                .into_response(),
        ),
        Err(e) => refuse(StatusCode::BAD_REQUEST, "InvalidDefinition", e),
    }
}

async fn states(
    State(c): State<Arc<Console>>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let arn = match c.execution_arn(&headers, &q) {
        Ok(arn) => arn,
        Err(r) => return r,
    };
    let console = Arc::clone(&c);
    match blocking(move || track(&console, &arn)).await {
        Ok(states) => secure(axum::Json(json!({ "states": states })).into_response()),
        Err(r) => r,
    }
}

/// Runs `f` (it reads the database) off the reactor; its error as InternalFailure.
async fn blocking<T: Send + 'static, E: std::fmt::Display + Send + 'static>(
    f: impl FnOnce() -> Result<T, E> + Send + 'static,
) -> Result<T, Response> {
    let internal = |e: String| refuse(StatusCode::INTERNAL_SERVER_ERROR, "InternalFailure", e);
    match tokio::task::spawn_blocking(f).await {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(internal(e.to_string())),
        Err(e) => Err(internal(e.to_string())),
    }
}

/// The state a journal key is in: `/Each#0/i37/Call#2/try0` → (`Call`, `i37`).
fn state_of_key(key: &str) -> (String, Option<String>) {
    let mut state = String::new();
    let mut item = None;
    for seg in key.split('/') {
        if let Some((name, _)) = seg.rsplit_once('#') {
            state = name.to_string();
        } else if seg.starts_with('i')
            && seg[1..].chars().all(|c| c.is_ascii_digit())
            && seg.len() > 1
        {
            item = Some(seg[1..].to_string());
        }
    }
    (state, item)
}

async fn pending(
    State(c): State<Arc<Console>>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let arn = match c.execution_arn(&headers, &q) {
        Ok(arn) => arn,
        Err(r) => return r,
    };
    let service = Arc::clone(&c.service);
    let entries = match blocking(move || service.store.journal(&arn)).await {
        Ok(e) => e,
        Err(r) => return r,
    };
    let answered: HashSet<&str> = entries.iter().map(|(k, _)| k.as_str()).collect();
    let mut waiting = Vec::new();
    for (key, entry) in &entries {
        let Some(attempt) = key.strip_suffix("/token") else {
            continue;
        };
        if answered.contains(attempt) {
            continue;
        }
        let token = serde_json::from_str::<Value>(entry)
            .ok()
            .and_then(|e| e.get("ok").and_then(Value::as_str).map(str::to_string))
            .unwrap_or_default();
        if token.is_empty() {
            continue;
        }
        let (state, item) = state_of_key(attempt);
        waiting.push(json!({"state": state, "item": item, "taskToken": token, "key": attempt}));
    }
    waiting.sort_by(|a, b| a["key"].as_str().cmp(&b["key"].as_str()));
    secure(axum::Json(json!({ "pending": waiting })).into_response())
}
