//! The HTTP Task (`arn:aws:states:::http:invoke`) run by the real `asl` binary against
//! a real HTTP server on a loopback port (a small upstream written here that echoes
//! what it receives, answers chosen statuses and hands out OAuth tokens): requests as
//! the parameters describe them, results and failures in AWS's shapes, Retry and Catch
//! on status codes, connections, refused headers at validation and at run time.

mod harness;

use harness::Dir;
use serde_json::{Value, json};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

/// What the upstream server saw.
#[derive(Default)]
struct Seen {
    token_requests: AtomicUsize,
    flaky_calls: AtomicUsize,
    authorizations: Mutex<Vec<String>>,
}

struct Upstream {
    base: String,
    seen: Arc<Seen>,
}

fn respond(stream: &mut TcpStream, status: &str, content_type: &str, body: &str) {
    let _ = write!(
        stream,
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nX-Upstream: yes\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
}

fn serve_one(mut stream: TcpStream, seen: &Seen) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut line = String::new();
    if reader.read_line(&mut line).is_err() {
        return;
    }
    let mut parts = line.split_whitespace();
    let method = parts.next().unwrap_or("").to_string();
    let target = parts.next().unwrap_or("").to_string();
    let mut headers = serde_json::Map::new();
    let mut length = 0usize;
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h).is_err() || h.trim().is_empty() {
            break;
        }
        if let Some((k, v)) = h.trim_end().split_once(':') {
            let k = k.trim().to_ascii_lowercase();
            if k == "content-length" {
                length = v.trim().parse().unwrap_or(0);
            }
            headers.insert(k, json!(v.trim()));
        }
    }
    let mut body = vec![0u8; length];
    let _ = reader.read_exact(&mut body);
    let body = String::from_utf8_lossy(&body).into_owned();
    let (path, query) = target.split_once('?').unwrap_or((&target, ""));
    if let Some(a) = headers.get("authorization").and_then(Value::as_str) {
        seen.authorizations.lock().unwrap().push(a.to_string());
    }
    match path {
        "/echo" => {
            let echo = json!({"method": method, "path": path, "query": query,
                              "headers": headers, "body": body});
            respond(&mut stream, "200 OK", "application/json", &echo.to_string());
        }
        "/text" => respond(&mut stream, "200 OK", "text/plain", "plain words"),
        "/missing" => respond(
            &mut stream,
            "404 Not Found",
            "application/json",
            r#"{"message":"no such order"}"#,
        ),
        "/flaky" => {
            if seen.flaky_calls.fetch_add(1, Ordering::SeqCst) < 2 {
                respond(&mut stream, "503 Service Unavailable", "text/plain", "busy");
            } else {
                respond(
                    &mut stream,
                    "200 OK",
                    "application/json",
                    r#"{"done":true}"#,
                );
            }
        }
        "/token" => {
            seen.token_requests.fetch_add(1, Ordering::SeqCst);
            // client-id:client-secret
            if headers.get("authorization")
                == Some(&json!("Basic Y2xpZW50LWlkOmNsaWVudC1zZWNyZXQ="))
                && body.contains("grant_type=client_credentials")
            {
                respond(
                    &mut stream,
                    "200 OK",
                    "application/json",
                    r#"{"access_token":"tok-1","expires_in":3600}"#,
                );
            } else {
                respond(&mut stream, "401 Unauthorized", "text/plain", "who are you");
            }
        }
        _ => respond(&mut stream, "400 Bad Request", "text/plain", "unknown path"),
    }
}

impl Upstream {
    fn start() -> Upstream {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let seen = Arc::new(Seen::default());
        let s = Arc::clone(&seen);
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let s = Arc::clone(&s);
                std::thread::spawn(move || serve_one(stream, &s));
            }
        });
        Upstream { base, seen }
    }
}

const CONNECTION: &str = "arn:aws:events:us-east-1:123456789012:connection/Orders/0f1e2d3c";

/// Runs `definition` with `input` (and extra flags); the process output.
fn run(dir: &Dir, definition: &Value, input: &Value, extra: &[&str]) -> Output {
    let def = dir.0.join("workflow.json");
    let inp = dir.0.join("input.json");
    std::fs::write(&def, definition.to_string()).unwrap();
    std::fs::write(&inp, input.to_string()).unwrap();
    Command::new(env!("CARGO_BIN_EXE_asl"))
        .args([
            "run",
            def.to_str().unwrap(),
            "--input",
            inp.to_str().unwrap(),
        ])
        .args(extra)
        .output()
        .expect("asl runs")
}

fn succeeded(out: &Output) -> Value {
    assert!(
        out.status.success(),
        "asl run failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("JSON output")
}

fn http(params: Value) -> Value {
    json!({"Type": "Task", "Resource": "arn:aws:states:::http:invoke", "Parameters": params})
}

#[test]
fn requests_are_sent_as_the_parameters_describe_and_results_have_aws_shape() {
    let up = Upstream::start();
    let dir = Dir::new();
    let mut post = http(json!({
        "ApiEndpoint.$": "States.Format('{}/echo', $.base)",
        "Method": "POST",
        "Authentication": {"ConnectionArn": CONNECTION},
        "Headers": {"x-trace-id.$": "$.trace", "Content-Type": "application/json"},
        "QueryParameters": {"page": "2", "q": "blue shoes"},
        "RequestBody": {"order.$": "$.order"}
    }));
    post["ResultPath"] = json!("$.posted");
    post["Next"] = json!("Form");
    let form = json!({
        "Type": "Task", "QueryLanguage": "JSONata", "Resource": "arn:aws:states:::http:invoke",
        "Arguments": {
            "ApiEndpoint": "{% $states.input.base & '/echo' %}",
            "Method": "PATCH",
            "Authentication": {"ConnectionArn": CONNECTION},
            "RequestBody": {"tags": ["a", "b"], "who": {"name": "Ada L"}},
            "Transform": {"RequestBodyEncoding": "URL_ENCODED",
                          "RequestEncodingOptions": {"ArrayFormat": "REPEAT"}}
        },
        "Output": "{% $merge([$states.input, {'form': $states.result}]) %}",
        "Next": "Text"
    });
    let mut text = http(json!({
        "ApiEndpoint.$": "States.Format('{}/text', $.base)",
        "Method": "GET",
        "Authentication": {"ConnectionArn": CONNECTION}
    }));
    text["ResultPath"] = json!("$.text");
    text["End"] = json!(true);
    let def = json!({"StartAt": "Post", "States": {"Post": post, "Form": form, "Text": text}});
    let out = succeeded(&run(
        &dir,
        &def,
        &json!({"base": up.base, "trace": "t-42", "order": {"id": 7, "items": [1, 2]}}),
        &[],
    ));

    let posted = &out["posted"];
    assert_eq!(posted["StatusCode"], json!(200));
    assert_eq!(posted["StatusText"], json!("OK"));
    assert_eq!(posted["Headers"]["x-upstream"], json!(["yes"]));
    assert_eq!(
        posted["Headers"]["content-type"],
        json!(["application/json"])
    );
    let echo = &posted["ResponseBody"];
    assert_eq!(echo["method"], json!("POST"));
    assert_eq!(echo["query"], json!("page=2&q=blue%20shoes"));
    assert_eq!(
        serde_json::from_str::<Value>(echo["body"].as_str().unwrap()).unwrap(),
        json!({"order": {"id": 7, "items": [1, 2]}})
    );
    assert_eq!(echo["headers"]["x-trace-id"], json!("t-42"));
    assert_eq!(echo["headers"]["content-type"], json!("application/json"));
    assert_eq!(
        echo["headers"]["user-agent"],
        json!("Amazon|StepFunctions|HttpInvoke|us-east-1")
    );
    assert_eq!(echo["headers"]["range"], json!("bytes=0-262144"));

    let form = &out["form"]["ResponseBody"];
    assert_eq!(form["method"], json!("PATCH"));
    assert_eq!(form["body"], json!("tags=a&tags=b&who%5Bname%5D=Ada%20L"));
    assert_eq!(
        form["headers"]["content-type"],
        json!("application/x-www-form-urlencoded")
    );
    // A body that is not JSON stays text.
    assert_eq!(out["text"]["ResponseBody"], json!("plain words"));
    assert_eq!(
        out["text"]["Headers"]["content-type"],
        json!(["text/plain"])
    );
}

#[test]
fn answers_outside_2xx_fail_with_their_status_code_for_retry_and_catch() {
    let up = Upstream::start();
    let dir = Dir::new();
    let mut flaky = http(json!({
        "ApiEndpoint.$": "States.Format('{}/flaky', $.base)", "Method": "GET",
        "Authentication": {"ConnectionArn": CONNECTION}}));
    flaky["Retry"] = json!([{"ErrorEquals": ["States.Http.StatusCode.503"],
                             "IntervalSeconds": 1, "MaxAttempts": 3}]);
    flaky["ResultSelector"] = json!({"done.$": "$.ResponseBody.done"});
    flaky["ResultPath"] = json!("$.flaky");
    flaky["Next"] = json!("Missing");
    let mut missing = http(json!({
        "ApiEndpoint.$": "States.Format('{}/missing', $.base)", "Method": "DELETE",
        "Authentication": {"ConnectionArn": CONNECTION}}));
    missing["Catch"] = json!([{"ErrorEquals": ["States.Http.StatusCode.404"],
                               "ResultPath": "$.missing", "Next": "Unreachable"}]);
    missing["End"] = json!(true);
    let mut unreachable = http(json!({
        // Nothing listens on port 9 of the loopback (discard; refused).
        "ApiEndpoint": "http://127.0.0.1:9/nothing", "Method": "GET",
        "Authentication": {"ConnectionArn": CONNECTION}}));
    unreachable["Catch"] = json!([{"ErrorEquals": ["States.ALL"],
                                   "ResultPath": "$.socket", "Next": "Done"}]);
    unreachable["Next"] = json!("Done");
    let def = json!({"StartAt": "Flaky", "States": {
        "Flaky": flaky, "Missing": missing, "Unreachable": unreachable,
        "Done": {"Type": "Succeed"}}});
    let out = succeeded(&run(
        &dir,
        &def,
        &json!({"base": up.base}),
        &["--clock", "virtual"],
    ));
    assert_eq!(out["flaky"], json!({"done": true}));
    assert_eq!(up.seen.flaky_calls.load(Ordering::SeqCst), 3);
    assert_eq!(out["missing"]["Error"], json!("States.Http.StatusCode.404"));
    let cause: Value = serde_json::from_str(out["missing"]["Cause"].as_str().unwrap()).unwrap();
    assert_eq!(cause["StatusCode"], json!(404));
    assert_eq!(cause["StatusText"], json!("Not Found"));
    assert_eq!(cause["ResponseBody"], json!({"message": "no such order"}));
    assert_eq!(out["socket"]["Error"], json!("States.Http.Socket"));
}

#[test]
fn connections_add_their_credentials_and_parameters() {
    let up = Upstream::start();
    let dir = Dir::new();
    let connections = dir.0.join("connections.json");
    std::fs::write(
        &connections,
        json!({
            CONNECTION: {
                "AuthorizationType": "API_KEY",
                "AuthParameters": {
                    "ApiKeyAuthParameters": {"ApiKeyName": "x-api-key", "ApiKeyValue": "s3cret"},
                    "InvocationHttpParameters": {
                        "QueryStringParameters": [{"Key": "tenant", "Value": "t1"}],
                        "BodyParameters": [{"Key": "source", "Value": "asl"}]}}},
            "Partner": {
                "AuthorizationType": "OAUTH_CLIENT_CREDENTIALS",
                "AuthParameters": {"OAuthParameters": {
                    "AuthorizationEndpoint": format!("{}/token", up.base),
                    "HttpMethod": "POST",
                    "ClientParameters": {"ClientID": "client-id", "ClientSecret": "client-secret"},
                    "OAuthHttpParameters": {
                        "BodyParameters": [{"Key": "grant_type", "Value": "client_credentials"}]}}}}
        })
        .to_string(),
    )
    .unwrap();
    let call = |arn: &str, result: &str, next: Option<&str>| {
        let mut t = http(json!({
            "ApiEndpoint.$": "States.Format('{}/echo', $.base)", "Method": "POST",
            "Authentication": {"ConnectionArn": arn}, "RequestBody": {"n": 1}}));
        t["ResultSelector"] = json!({"echo.$": "$.ResponseBody"});
        t["ResultPath"] = json!(format!("$.{result}"));
        match next {
            Some(n) => t["Next"] = json!(n),
            None => t["End"] = json!(true),
        }
        t
    };
    let partner = "arn:aws:events:us-west-2:123456789012:connection/Partner/99";
    let def = json!({"StartAt": "Key", "States": {
        "Key": call(CONNECTION, "key", Some("OAuth1")),
        "OAuth1": call(partner, "oauth1", Some("OAuth2")),
        "OAuth2": call(partner, "oauth2", None)}});
    let out = succeeded(&run(
        &dir,
        &def,
        &json!({"base": up.base}),
        &["--connections", connections.to_str().unwrap()],
    ));
    let key = &out["key"]["echo"];
    assert_eq!(key["headers"]["x-api-key"], json!("s3cret"));
    assert_eq!(key["query"], json!("tenant=t1"));
    assert_eq!(
        serde_json::from_str::<Value>(key["body"].as_str().unwrap()).unwrap(),
        json!({"n": 1, "source": "asl"})
    );
    for k in ["oauth1", "oauth2"] {
        assert_eq!(
            out[k]["echo"]["headers"]["authorization"],
            json!("Bearer tok-1")
        );
    }
    // The token is asked for once and kept until it expires.
    assert_eq!(up.seen.token_requests.load(Ordering::SeqCst), 1);

    // A connection the file doesn't hold fails the Task, naming the file.
    let def = json!({"StartAt": "Other", "States": {"Other": call(
        "arn:aws:events:us-east-1:123456789012:connection/Other/1", "x", None)}});
    let out = run(
        &dir,
        &def,
        &json!({"base": up.base}),
        &["--connections", connections.to_str().unwrap()],
    );
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("States.Runtime") && err.contains("is not in the connections file"),
        "{err}"
    );

    // A malformed connections file is refused before anything runs, with the place.
    std::fs::write(
        &connections,
        json!({"Partner": {"AuthorizationType": "BASIC", "AuthParameters": {
            "BasicAuthParameters": {"Username": "u"}}}})
        .to_string(),
    )
    .unwrap();
    let out = run(
        &dir,
        &def,
        &json!({}),
        &["--connections", connections.to_str().unwrap()],
    );
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(
            "/Partner/AuthParameters/BasicAuthParameters: the field 'Password' is required"
        ),
        "{err}"
    );
}

#[test]
fn refused_headers_and_fields_as_aws_refuses_them() {
    let up = Upstream::start();
    let dir = Dir::new();
    // Given as they are: refused when the definition is checked.
    let def = json!({"StartAt": "Call", "States": {"Call": {
        "Type": "Task", "Resource": "arn:aws:states:::http:invoke", "End": true,
        "Parameters": {"ApiEndpoint": "https://api.example.com", "Method": "FETCH",
                       "Headers": {"Authorization": "Bearer x", "X-Amz-Date": "now"},
                       "Transform": {"RequestBodyEncoding": "XML"},
                       "Body": {}}}}});
    let path = dir.0.join("bad.json");
    std::fs::write(&path, def.to_string()).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_asl"))
        .args(["validate", path.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    for expected in [
        "/States/Call/Parameters",
        "The 'Headers' field contains unsupported values: [authorization, x-amz-date]",
        "The field 'Authentication' is required",
        "/States/Call/Parameters/Method",
        "/States/Call/Parameters/Transform/RequestBodyEncoding",
        "The field 'Body' is not supported by Step Functions",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in:\n{text}");
    }

    // Given by path: refused when the Task runs, with States.Runtime, which no
    // States.ALL catches.
    let def = json!({"StartAt": "Call", "States": {"Call": {
        "Type": "Task", "Resource": "arn:aws:states:::http:invoke", "End": true,
        "Parameters": {"ApiEndpoint.$": "States.Format('{}/echo', $.base)", "Method": "GET",
                       "Authentication": {"ConnectionArn": CONNECTION},
                       "Headers.$": "$.headers"},
        "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Caught"}]},
        "Caught": {"Type": "Succeed"}}});
    let out = run(
        &dir,
        &def,
        &json!({"base": up.base, "headers": {"Host": "elsewhere"}}),
        &[],
    );
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("States.Runtime")
            && err.contains("The 'Headers' field contains unsupported values: [host]"),
        "{err}"
    );
}

#[test]
fn asl_serve_runs_http_tasks_with_its_connections_and_records_them() {
    use harness::{Field, ROLE, Server, wait_done};
    let up = Upstream::start();
    let dir = Dir::new();
    let connections = dir.0.join("connections.json");
    std::fs::write(
        &connections,
        json!({"Orders": {"AuthorizationType": "BASIC", "AuthParameters": {
            "BasicAuthParameters": {"Username": "ada", "Password": "pw"}}}})
        .to_string(),
    )
    .unwrap();
    let s = Server::start_with(
        &dir.db(),
        &[
            "--connections",
            connections.to_str().unwrap(),
            "--region",
            "eu-west-1",
        ],
    );
    let mut call = http(json!({
        "ApiEndpoint.$": "States.Format('{}/echo', $.base)", "Method": "GET",
        "Authentication": {"ConnectionArn": CONNECTION}}));
    call["End"] = json!(true);
    let def = json!({"StartAt": "Call", "States": {"Call": call}});
    let machine = s
        .ok(
            "CreateStateMachine",
            json!({"name": "http", "definition": def.to_string(), "roleArn": ROLE}),
        )
        .field("stateMachineArn");
    let arn = s
        .ok(
            "StartExecution",
            json!({"stateMachineArn": machine, "input": json!({"base": up.base}).to_string()}),
        )
        .field("executionArn");
    let done = wait_done(&s, &arn);
    assert_eq!(done["status"], json!("SUCCEEDED"), "{done}");
    let out: Value = serde_json::from_str(done["output"].as_str().unwrap()).unwrap();
    assert_eq!(
        out["ResponseBody"]["headers"]["authorization"],
        json!("Basic YWRhOnB3")
    );
    assert_eq!(
        out["ResponseBody"]["headers"]["user-agent"],
        json!("Amazon|StepFunctions|HttpInvoke|eu-west-1")
    );
    let history = s.ok("GetExecutionHistory", json!({"executionArn": arn}));
    let events = history["events"].as_array().unwrap();
    let scheduled = events
        .iter()
        .find(|e| e["type"] == "TaskScheduled")
        .expect("a TaskScheduled event");
    assert_eq!(
        scheduled["taskScheduledEventDetails"]["resourceType"],
        json!("http")
    );
    assert_eq!(
        scheduled["taskScheduledEventDetails"]["resource"],
        json!("invoke")
    );
    assert!(events.iter().any(|e| e["type"] == "TaskSucceeded"));
}

/// The bundled example (`datasets/http`) against Python's own `http.server` serving
/// `datasets/`, as the README walks through it.
#[test]
fn the_http_example_runs_against_a_static_file_server() {
    use std::io::BufRead;
    let root = env!("CARGO_MANIFEST_DIR");
    let mut server = match Command::new("python3")
        .args([
            "-u",
            "-m",
            "http.server",
            "0",
            "--bind",
            "127.0.0.1",
            "--directory",
        ])
        .arg(format!("{root}/datasets"))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
    {
        Ok(s) => s,
        Err(e) => {
            println!("skipped: python3 is not available ({e})");
            return;
        }
    };
    let mut line = String::new();
    BufReader::new(server.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let port = line
        .split(" port ")
        .nth(1)
        .and_then(|r| r.split_whitespace().next())
        .unwrap_or_else(|| panic!("no port in: {line}"))
        .to_string();
    let dir = Dir::new();
    let input = dir.0.join("input.json");
    std::fs::write(
        &input,
        json!({"api": format!("http://127.0.0.1:{port}")}).to_string(),
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_asl"))
        .current_dir(root)
        .args(["run", "datasets/http/workflow.asl.json", "--input"])
        .arg(&input)
        .args(["--connections", "datasets/http/connections.json"])
        .output()
        .expect("asl runs");
    let _ = server.kill();
    let _ = server.wait();
    assert_eq!(
        succeeded(&out),
        json!({"orderId": "ord-20190218-0001", "total": 64.5,
               "missing": "States.Http.StatusCode.404"})
    );
}
