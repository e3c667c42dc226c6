//! What the tests of `asl serve` share: the real binary started on a free loopback
//! port with a real SQLite file, raw HTTP/1.1 requests as the SDKs send them (AWS JSON
//! 1.0), `kill -9`. Also [`TempPath`], the temp file or folder removed on drop that the
//! other tests writing under the temp dir share.
#![allow(dead_code)]

use serde_json::{Value, json};
use std::ffi::OsStr;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

pub const ROLE: &str = "arn:aws:iam::123456789012:role/DummyRole";

/// A string field of an answer.
pub trait Field {
    fn field(&self, name: &str) -> String;
}

impl Field for Value {
    fn field(&self, name: &str) -> String {
        self[name]
            .as_str()
            .unwrap_or_else(|| panic!("no string '{name}' in {self}"))
            .to_string()
    }
}

/// A temp folder, removed on drop.
pub struct Dir(pub PathBuf);

impl Dir {
    pub fn new() -> Dir {
        static N: AtomicU32 = AtomicU32::new(0);
        let p = std::env::temp_dir().join(format!(
            "asl-serve-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::SeqCst)
        ));
        std::fs::create_dir_all(&p).expect("temp dir");
        Dir(p)
    }
    pub fn db(&self) -> String {
        self.0.join("state.db").to_str().expect("UTF-8").to_string()
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A path under the temp dir that a test writes (a file or a folder, or nothing yet):
/// whatever is there is removed on drop, so even a test whose assertion fails first
/// leaves nothing behind. It derefs to `Path`, and passes as a command argument.
pub struct TempPath(PathBuf);

impl TempPath {
    /// Takes charge of `path`; creates nothing.
    pub fn new(path: PathBuf) -> TempPath {
        TempPath(path)
    }
    pub fn as_str(&self) -> &str {
        self.0.to_str().expect("temp path is UTF-8")
    }

    /// A file `asl-<what>-<pid>-<n>-<name>` under the temp dir holding `text`, its name
    /// unique to the process and the call (tests run side by side).
    pub fn file(what: &str, name: &str, text: &str) -> TempPath {
        static N: AtomicU32 = AtomicU32::new(0);
        let p = std::env::temp_dir().join(format!(
            "asl-{what}-{}-{}-{name}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::write(&p, text).expect("temp file written");
        TempPath(p)
    }
}

impl std::ops::Deref for TempPath {
    type Target = Path;
    fn deref(&self) -> &Path {
        &self.0
    }
}

impl AsRef<Path> for TempPath {
    fn as_ref(&self) -> &Path {
        &self.0
    }
}

impl AsRef<OsStr> for TempPath {
    fn as_ref(&self) -> &OsStr {
        self.0.as_os_str()
    }
}

impl Drop for TempPath {
    fn drop(&mut self) {
        let _ = match std::fs::symlink_metadata(&self.0) {
            Ok(m) if m.is_dir() => std::fs::remove_dir_all(&self.0),
            Ok(_) => std::fs::remove_file(&self.0),
            Err(_) => Ok(()),
        };
    }
}

/// A running `asl serve`, killed on drop.
pub struct Server {
    pub child: Child,
    pub addr: String,
}

impl Server {
    pub fn start(db: &str) -> Server {
        Server::start_with(db, &[])
    }

    pub fn start_with(db: &str, extra: &[&str]) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_asl"))
            .args(["serve", "--listen", "127.0.0.1:0", "--db", db])
            .args(extra)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("asl serve starts");
        let stderr = child.stderr.take().expect("stderr is piped");
        let mut lines = BufReader::new(stderr).lines();
        let first = lines
            .next()
            .expect("a start line")
            .expect("stderr is readable");
        let addr = first
            .split("listening on http://")
            .nth(1)
            .and_then(|rest| rest.split_whitespace().next())
            .unwrap_or_else(|| panic!("no address in: {first}"))
            .to_string();
        // Keep draining stderr so the server never blocks on it.
        // (Internal errors are shown, to explain a 500 in a test's output.)
        std::thread::spawn(move || {
            for line in lines.map_while(Result::ok) {
                if line.contains("internal error") {
                    eprintln!("{line}");
                }
            }
        });
        Server { child, addr }
    }

    /// One request; returns the status code and the body as JSON.
    pub fn call(&self, target: &str, body: &str) -> (u16, Value) {
        let (code, text) = self.raw(Some(target), body.as_bytes());
        let v = serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("{target}: not JSON ({e}): {text}"));
        (code, v)
    }

    /// A successful call's answer.
    pub fn ok(&self, op: &str, body: Value) -> Value {
        let (code, v) = self.call(&format!("AWSStepFunctions.{op}"), &body.to_string());
        assert_eq!(code, 200, "{op}: {v}");
        v
    }

    /// A failing call's error code (`__type`).
    pub fn err(&self, op: &str, body: Value) -> String {
        let (code, v) = self.call(&format!("AWSStepFunctions.{op}"), &body.to_string());
        assert_eq!(code, 400, "{op}: {v}");
        assert!(v["message"].is_string(), "{v}");
        v["__type"].as_str().expect("__type").to_string()
    }

    pub fn raw(&self, target: Option<&str>, body: &[u8]) -> (u16, String) {
        let mut s = TcpStream::connect(&self.addr).expect("connects");
        s.set_read_timeout(Some(Duration::from_secs(60)))
            .expect("timeout is set");
        let mut head = format!(
            "POST / HTTP/1.1\r\nHost: {}\r\nContent-Type: application/x-amz-json-1.0\r\nContent-Length: {}\r\nConnection: close\r\n",
            self.addr,
            body.len()
        );
        if let Some(t) = target {
            head.push_str(&format!("X-Amz-Target: {t}\r\n"));
        }
        head.push_str("\r\n");
        s.write_all(head.as_bytes()).expect("request head is sent");
        s.write_all(body).expect("request body is sent");
        let mut resp = Vec::new();
        s.read_to_end(&mut resp).expect("response is read");
        let text = String::from_utf8_lossy(&resp).into_owned();
        let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
        let code = head
            .split_whitespace()
            .nth(1)
            .and_then(|c| c.parse().ok())
            .unwrap_or_else(|| panic!("no status line: {head}"));
        (code, body.to_string())
    }

    pub fn kill9(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn machine_arn(name: &str) -> String {
    format!("arn:aws:states:us-east-1:123456789012:stateMachine:{name}")
}

pub fn wait_done(s: &Server, arn: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let d = s.ok("DescribeExecution", json!({"executionArn": arn}));
        if d["status"] != "RUNNING" {
            return d;
        }
        assert!(Instant::now() < deadline, "{arn} still RUNNING: {d}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

pub fn walk(dir: &std::path::Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out
}

/// Runs the real `asl` with `args` in the repository root: (exit code, stdout, stderr).
pub fn asl_in_root(args: &[&str]) -> (Option<i32>, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_asl"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(args)
        .output()
        .expect("asl runs");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}
