//! The HTTP Task, `arn:aws:states:::http:invoke`: a real HTTP(S) request built from
//! the Task's parameters, as AWS's "Call HTTPS APIs" page describes them:
//!
//! - `ApiEndpoint` (the URL), `Method` (GET, POST, PUT, DELETE, PATCH, OPTIONS, HEAD),
//!   `Authentication.ConnectionArn` (or `InvocationConfig.ConnectionArn`): required.
//! - `Headers` (names AWS refuses fail the Task with `States.Runtime`),
//!   `QueryParameters`, `RequestBody` (JSON is sent as `application/json`),
//!   `Transform` (`RequestBodyEncoding: URL_ENCODED` with
//!   `RequestEncodingOptions.ArrayFormat`: see [`form`]).
//! - The result is `{Headers, ResponseBody, StatusCode, StatusText}`: headers as lists
//!   of values, a JSON body (by its content type) parsed. An answer outside 2xx fails
//!   the Task with `States.Http.StatusCode.<code>` and that object as the cause; a
//!   request that can't be made or times out (60 s, AWS's limit) fails with
//!   `States.Http.Socket`.
//! - Step Functions' own headers are sent as AWS sends them: `User-Agent:
//!   Amazon|StepFunctions|HttpInvoke|<region>` and `Range: bytes=0-262144`.
//! - The connection is looked up in the connections file ([`connections`]), when one
//!   is given, and adds its authorization and parameters; without a file, connections
//!   add nothing (local endpoints rarely need credentials).

pub mod connections;
pub mod form;

use crate::asl::Failure;
pub use crate::asl::http_task::{METHODS, unsupported_header, unsupported_headers_message};
use connections::{Added, Connections};
use form::ArrayFormat;
use serde_json::{Map, Value, json};
use std::sync::Arc;
use std::time::Duration;

use super::task::{TaskHandler, TaskRequest};

pub const HTTP_INVOKE: &str = "arn:aws:states:::http:invoke";

/// The longest the HTTP Task waits for an answer (AWS's limit).
const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);
/// The most of a response body that is read.
const BODY_LIMIT: u64 = 10 * 1024 * 1024;

/// The request a Task's parameters describe.
#[derive(Debug, Clone, PartialEq)]
pub struct HttpRequest {
    pub method: String,
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: Option<String>,
    /// The headers a connection added (credentials): TestState shows them only with
    /// `revealSecrets`.
    pub from_connection: Vec<String>,
}

impl HttpRequest {
    /// TestState's `inspectionData.request` (TRACE).
    pub fn inspection(&self, reveal_secrets: bool) -> Value {
        let headers: Map<String, Value> = self
            .headers
            .iter()
            .filter(|(k, _)| {
                reveal_secrets
                    || !self
                        .from_connection
                        .iter()
                        .any(|c| c.eq_ignore_ascii_case(k))
            })
            .map(|(k, v)| (k.clone(), json!(v)))
            .collect();
        json!({
            "protocol": "https",
            "method": self.method,
            "url": self.url,
            "headers": Value::Object(headers).to_string(),
            "body": self.body.clone().unwrap_or_default(),
        })
    }
}

/// An HTTP Task's request and, if one came, its response.
pub type Exchange = (HttpRequest, Option<HttpResponse>);

thread_local! {
    /// While TestState records (Some): the last exchange of an HTTP Task on this thread.
    static RECORDING: std::cell::RefCell<Option<Option<Exchange>>> =
        const { std::cell::RefCell::new(None) };
}

/// Runs `f`, keeping the last HTTP Task exchange it made on this thread (TestState's
/// TRACE level): the request, and the response if one came.
pub fn recording_exchanges<R>(f: impl FnOnce() -> R) -> (R, Option<Exchange>) {
    RECORDING.with(|r| *r.borrow_mut() = Some(None));
    let out = f();
    let seen = RECORDING.with(|r| r.borrow_mut().take().flatten());
    (out, seen)
}

fn record_exchange(request: &HttpRequest, response: Option<&HttpResponse>) {
    RECORDING.with(|r| {
        if let Some(slot) = r.borrow_mut().as_mut() {
            *slot = Some((request.clone(), response.cloned()));
        }
    });
}

/// The answer, as the Task's result shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct HttpResponse {
    pub status: u16,
    pub status_text: String,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl HttpResponse {
    /// TestState's `inspectionData.response` (TRACE).
    pub fn inspection(&self) -> Value {
        let headers: Map<String, Value> = self
            .headers
            .iter()
            .map(|(k, v)| (k.clone(), json!(v)))
            .collect();
        json!({
            "protocol": "https",
            "statusCode": self.status.to_string(),
            "statusMessage": self.status_text,
            "headers": Value::Object(headers).to_string(),
            "body": self.body,
        })
    }

    /// `{Headers, ResponseBody, StatusCode, StatusText}`.
    pub fn result(&self) -> Value {
        let mut headers = Map::new();
        for (k, v) in &self.headers {
            if let Value::Array(values) = headers
                .entry(k.to_ascii_lowercase())
                .or_insert_with(|| json!([]))
            {
                values.push(json!(v));
            }
        }
        let is_json = self.headers.iter().any(|(k, v)| {
            k.eq_ignore_ascii_case("content-type") && v.to_ascii_lowercase().contains("json")
        });
        let body = if is_json {
            serde_json::from_str(&self.body).unwrap_or_else(|_| json!(self.body))
        } else {
            json!(self.body)
        };
        json!({
            "Headers": headers,
            "ResponseBody": body,
            "StatusCode": self.status,
            "StatusText": self.status_text,
        })
    }
}

/// The handler of `http:invoke`.
pub struct HttpTask {
    agent: ureq::Agent,
    connections: Option<Arc<Connections>>,
    region: String,
}

impl HttpTask {
    /// `connections`: the connections file's contents, if one was given; `region`
    /// goes into the User-Agent as AWS sends it.
    pub fn new(connections: Option<Connections>, region: &str) -> HttpTask {
        let agent = ureq::Agent::config_builder()
            .timeout_global(Some(REQUEST_TIMEOUT))
            .http_status_as_error(false)
            .user_agent(format!("Amazon|StepFunctions|HttpInvoke|{region}"))
            .build()
            .new_agent();
        HttpTask {
            agent,
            connections: connections.map(Arc::new),
            region: region.to_string(),
        }
    }

    pub fn region(&self) -> &str {
        &self.region
    }

    /// The request the parameters describe, with what their connection adds.
    pub fn request(&self, params: &Value) -> Result<HttpRequest, Failure> {
        let arn = connection_arn(params)?;
        let added = match &self.connections {
            Some(c) => c.added(arn, &self.agent).map_err(Failure::runtime)?,
            None => Added::default(),
        };
        build_request(params, &added)
    }

    /// Sends `r`; Err only when no answer came (`States.Http.Socket`).
    pub fn send(&self, r: &HttpRequest) -> Result<HttpResponse, Failure> {
        let socket = |what: String| Failure::new("States.Http.Socket", what);
        let url = r.url.as_str();
        let without_body = match r.method.as_str() {
            "GET" => Some(self.agent.get(url)),
            "DELETE" => Some(self.agent.delete(url)),
            "OPTIONS" => Some(self.agent.options(url)),
            "HEAD" => Some(self.agent.head(url)),
            _ => None,
        };
        let answer = match (without_body, &r.body) {
            (Some(b), None) => {
                let mut b = b;
                for (k, v) in &r.headers {
                    b = b.header(k, v);
                }
                b.call()
            }
            (Some(b), Some(body)) => {
                let mut b = b.force_send_body();
                for (k, v) in &r.headers {
                    b = b.header(k, v);
                }
                b.send(body.as_bytes())
            }
            (None, body) => {
                let mut b = match r.method.as_str() {
                    "PUT" => self.agent.put(url),
                    "PATCH" => self.agent.patch(url),
                    _ => self.agent.post(url),
                };
                for (k, v) in &r.headers {
                    b = b.header(k, v);
                }
                b.send(body.as_deref().unwrap_or("").as_bytes())
            }
        };
        let mut response = answer.map_err(|e| match e {
            ureq::Error::Timeout(_) => socket(format!(
                "The request to {url} timed out (the HTTP Task waits {} seconds)",
                REQUEST_TIMEOUT.as_secs()
            )),
            e => socket(format!("The request to {url} failed: {e}")),
        })?;
        let status = response.status();
        let headers = response
            .headers()
            .iter()
            .map(|(k, v)| {
                (
                    k.as_str().to_string(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect();
        let body = response
            .body_mut()
            .with_config()
            .limit(BODY_LIMIT)
            .read_to_vec()
            .map_err(|e| match e {
                ureq::Error::BodyExceedsLimit(_) => Failure::new(
                    crate::asl::failure::names::DATA_LIMIT_EXCEEDED,
                    format!("The response of {url} is larger than {BODY_LIMIT} bytes"),
                ),
                e => socket(format!("The response of {url} could not be read: {e}")),
            })?;
        Ok(HttpResponse {
            status: status.as_u16(),
            status_text: status.canonical_reason().unwrap_or("").to_string(),
            headers,
            body: String::from_utf8_lossy(&body).into_owned(),
        })
    }
}

impl TaskHandler for HttpTask {
    fn is_blocking(&self) -> bool {
        true
    }

    fn invoke(&self, req: &TaskRequest<'_>) -> Result<Value, Failure> {
        let request = self.request(req.input)?;
        let response = self.send(&request);
        record_exchange(&request, response.as_ref().ok());
        let response = response?;
        let result = response.result();
        if (200..300).contains(&response.status) {
            Ok(result)
        } else {
            Err(Failure::new(
                format!("States.Http.StatusCode.{}", response.status),
                result.to_string(),
            ))
        }
    }
}

fn runtime(what: String) -> Failure {
    Failure::runtime(what)
}

/// `Authentication.ConnectionArn` (or `InvocationConfig.ConnectionArn`).
fn connection_arn(p: &Value) -> Result<&str, Failure> {
    ["Authentication", "InvocationConfig"]
        .iter()
        .find_map(|f| p.get(f)?.get("ConnectionArn")?.as_str())
        .ok_or_else(|| {
            runtime(
                "The HTTP Task needs Authentication.ConnectionArn (an EventBridge connection ARN)"
                    .into(),
            )
        })
}

/// Puts `(k, v)` in `into`, replacing a pair of the same name (any case).
fn put(into: &mut Vec<(String, String)>, k: &str, v: &str) {
    into.retain(|(n, _)| !n.eq_ignore_ascii_case(k));
    into.push((k.to_string(), v.to_string()));
}

/// The request the (evaluated) parameters describe, with what a connection adds
/// (its headers, query and body parameters win over the Task's).
pub fn build_request(p: &Value, added: &Added) -> Result<HttpRequest, Failure> {
    let Value::Object(m) = p else {
        return Err(runtime(
            "The HTTP Task's parameters must be an object with ApiEndpoint and Method".into(),
        ));
    };
    let endpoint = match m.get("ApiEndpoint") {
        Some(Value::String(s)) if s.starts_with("https://") || s.starts_with("http://") => {
            s.as_str()
        }
        Some(v) => {
            return Err(runtime(format!(
                "The value of the field 'ApiEndpoint' must be an http or https URL, got {v}"
            )));
        }
        None => return Err(runtime("The field 'ApiEndpoint' is required".into())),
    };
    let method = match m.get("Method") {
        Some(Value::String(s)) if METHODS.contains(&s.as_str()) => s.clone(),
        Some(v) => {
            return Err(runtime(format!(
                "The value of the field 'Method' must be one of {}, got {v}",
                METHODS.join(", ")
            )));
        }
        None => return Err(runtime("The field 'Method' is required".into())),
    };
    let transform = m.get("Transform").unwrap_or(&Value::Null);
    let url_encoded = match transform.get("RequestBodyEncoding") {
        None | Some(Value::Null) => false,
        Some(Value::String(s)) if s == "NONE" => false,
        Some(Value::String(s)) if s == "URL_ENCODED" => true,
        Some(v) => {
            return Err(runtime(format!(
                "The value of the field 'Transform.RequestBodyEncoding' must be NONE or URL_ENCODED, got {v}"
            )));
        }
    };
    let array_format = match transform
        .get("RequestEncodingOptions")
        .and_then(|o| o.get("ArrayFormat"))
    {
        None | Some(Value::Null) => Some(ArrayFormat::default()),
        Some(Value::String(s)) => ArrayFormat::parse(s),
        Some(_) => None,
    };
    let array_format = match array_format {
        Some(f) => f,
        None => {
            let v = &transform["RequestEncodingOptions"]["ArrayFormat"];
            return Err(runtime(format!(
                "The value of the field 'Transform.RequestEncodingOptions.ArrayFormat' must be one of {}, got {v}",
                crate::asl::http_task::ARRAY_FORMATS.join(", ")
            )));
        }
    };

    let mut headers: Vec<(String, String)> = Vec::new();
    match m.get("Headers") {
        None | Some(Value::Null) => {}
        Some(Value::Object(h)) => {
            let refused: Vec<String> = h
                .keys()
                .filter(|k| unsupported_header(k))
                .map(|k| k.to_ascii_lowercase())
                .collect();
            if !refused.is_empty() {
                return Err(runtime(unsupported_headers_message(&refused)));
            }
            for (k, v) in h {
                let v = match v {
                    Value::String(s) => s.clone(),
                    Value::Number(_) | Value::Bool(_) => v.to_string(),
                    other => {
                        return Err(runtime(format!(
                            "The value of the header '{k}' must be a string, got {other}"
                        )));
                    }
                };
                put(&mut headers, k, &v);
            }
        }
        Some(v) => {
            return Err(runtime(format!(
                "The value of the field 'Headers' must be an object, got {v}"
            )));
        }
    }

    let mut query = Vec::new();
    match m.get("QueryParameters") {
        None | Some(Value::Null) => {}
        Some(q @ Value::Object(_)) => form::pairs("", q, array_format, &mut query),
        Some(v) => {
            return Err(runtime(format!(
                "The value of the field 'QueryParameters' must be an object, got {v}"
            )));
        }
    }
    for (k, v) in &added.query {
        put(&mut query, k, v);
    }
    let mut url = endpoint.to_string();
    if !query.is_empty() {
        url.push(if url.contains('?') { '&' } else { '?' });
        url.push_str(&form::join(&query));
    }

    let mut body = m.get("RequestBody").cloned();
    if !added.body.is_empty() {
        match &mut body {
            None => {
                body = Some(Value::Object(
                    added
                        .body
                        .iter()
                        .map(|(k, v)| (k.clone(), json!(v)))
                        .collect(),
                ))
            }
            Some(Value::Object(b)) => {
                for (k, v) in &added.body {
                    b.insert(k.clone(), json!(v));
                }
            }
            // A text or list body has no place for them.
            Some(_) => {}
        }
    }
    let body = match body {
        None => None,
        Some(Value::String(s)) => Some(s),
        Some(v) if url_encoded => Some(form::encode(&v, array_format)),
        Some(v) => {
            if !headers
                .iter()
                .any(|(k, _)| k.eq_ignore_ascii_case("content-type"))
            {
                put(&mut headers, "Content-Type", "application/json");
            }
            Some(v.to_string())
        }
    };
    if url_encoded {
        put(
            &mut headers,
            "Content-Type",
            "application/x-www-form-urlencoded",
        );
    }
    for (k, v) in &added.headers {
        put(&mut headers, k, v);
    }
    put(&mut headers, "Range", "bytes=0-262144");
    Ok(HttpRequest {
        method,
        url,
        headers,
        body,
        from_connection: added.headers.iter().map(|(k, _)| k.clone()).collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header<'a>(r: &'a HttpRequest, name: &str) -> Option<&'a str> {
        r.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    #[test]
    fn a_request_from_parameters() {
        let p = json!({
            "ApiEndpoint": "https://api.example.com/v1/orders?x=1",
            "Method": "POST",
            "Authentication": {"ConnectionArn": "arn:aws:events:us-east-1:1:connection/A/1"},
            "Headers": {"x-trace": "t", "Content-Type": "application/vnd+json"},
            "QueryParameters": {"page": 2, "q": "a b"},
            "RequestBody": {"id": 7}
        });
        let added = Added {
            headers: vec![("x-trace".into(), "from-connection".into())],
            query: vec![("key".into(), "k".into())],
            body: vec![("secret".into(), "s".into())],
        };
        let r = build_request(&p, &added).unwrap();
        assert_eq!(r.method, "POST");
        assert_eq!(
            r.url,
            "https://api.example.com/v1/orders?x=1&page=2&q=a%20b&key=k"
        );
        assert_eq!(header(&r, "x-trace"), Some("from-connection"));
        assert_eq!(header(&r, "content-type"), Some("application/vnd+json"));
        assert_eq!(header(&r, "range"), Some("bytes=0-262144"));
        assert_eq!(r.body.as_deref(), Some(r#"{"id":7,"secret":"s"}"#));
    }

    #[test]
    fn url_encoded_bodies_and_refused_headers() {
        let p = json!({
            "ApiEndpoint": "http://127.0.0.1:1/form", "Method": "PUT",
            "Authentication": {"ConnectionArn": "arn"},
            "RequestBody": {"tags": ["a", "b"]},
            "Transform": {"RequestBodyEncoding": "URL_ENCODED",
                          "RequestEncodingOptions": {"ArrayFormat": "BRACKETS"}}
        });
        let r = build_request(&p, &Added::default()).unwrap();
        assert_eq!(r.body.as_deref(), Some("tags%5B%5D=a&tags%5B%5D=b"));
        assert_eq!(
            header(&r, "content-type"),
            Some("application/x-www-form-urlencoded")
        );
        let mut bad = p.clone();
        bad["Headers"] = json!({"Host": "h", "X-Amz-Date": "d", "ok": "1"});
        let f = build_request(&bad, &Added::default()).unwrap_err();
        assert_eq!(f.error_name(), "States.Runtime");
        assert_eq!(
            f.cause.as_deref(),
            Some("The 'Headers' field contains unsupported values: [host, x-amz-date]")
        );
        let mut bad = p;
        bad["Method"] = json!("TRACE");
        assert!(
            build_request(&bad, &Added::default())
                .unwrap_err()
                .cause
                .unwrap()
                .contains("'Method' must be one of GET")
        );
    }

    #[test]
    fn results_parse_json_bodies_and_list_header_values() {
        let r = HttpResponse {
            status: 201,
            status_text: "Created".into(),
            headers: vec![
                (
                    "Content-Type".into(),
                    "application/json; charset=utf-8".into(),
                ),
                ("set-cookie".into(), "a=1".into()),
                ("set-cookie".into(), "b=2".into()),
            ],
            body: r#"{"ok":true}"#.into(),
        };
        assert_eq!(
            r.result(),
            json!({"Headers": {"content-type": ["application/json; charset=utf-8"],
                               "set-cookie": ["a=1", "b=2"]},
                   "ResponseBody": {"ok": true}, "StatusCode": 201, "StatusText": "Created"})
        );
        let text = HttpResponse {
            headers: vec![("content-type".into(), "text/plain".into())],
            body: "{\"not\": \"parsed\"}".into(),
            ..r
        };
        assert_eq!(
            text.result()["ResponseBody"],
            json!("{\"not\": \"parsed\"}")
        );
    }
}
