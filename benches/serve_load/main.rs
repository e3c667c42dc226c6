//! A load generator for the Step Functions API: N keep-alive HTTP/1.1 connections, each
//! sending one request after the other, for a given time or count. Prints requests/s
//! and p50/p99 latency as one JSON line. Used by `benches/serve_load.sh` against
//! `asl serve` and moto's server alike.
//!
//! serve_load URL TARGET BODY_TEMPLATE [--connections N] [--seconds S | --requests R] [--bodies FILE]
//!
//! `{n}` in BODY_TEMPLATE becomes a number unique to each request (execution names).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

fn usage() -> ! {
    eprintln!(
        "usage: serve_load URL TARGET BODY_TEMPLATE [--connections N] [--seconds S | --requests R] [--bodies FILE]"
    );
    std::process::exit(2);
}

struct Conn {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
}

impl Conn {
    fn open(addr: &str) -> std::io::Result<Conn> {
        let s = TcpStream::connect(addr)?;
        s.set_nodelay(true)?;
        // A server that never answers counts as an error, not a hang.
        s.set_read_timeout(Some(Duration::from_secs(30)))?;
        Ok(Conn {
            reader: BufReader::new(s.try_clone()?),
            writer: s,
        })
    }

    /// Sends one request and reads the whole response; returns the status code and
    /// whether the server closes the connection after it.
    fn call(&mut self, host: &str, target: &str, body: &str) -> std::io::Result<(u16, bool)> {
        write!(
            self.writer,
            "POST / HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/x-amz-json-1.0\r\nX-Amz-Target: {target}\r\nAuthorization: AWS4-HMAC-SHA256 Credential=test/20240101/us-east-1/states/aws4_request, SignedHeaders=host, Signature=0\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        )?;
        let mut line = String::new();
        self.reader.read_line(&mut line)?;
        let code: u16 = line
            .split_whitespace()
            .nth(1)
            .and_then(|c| c.parse().ok())
            .unwrap_or(0);
        let mut length = 0usize;
        let mut chunked = false;
        let mut close = line.starts_with("HTTP/1.0");
        loop {
            line.clear();
            self.reader.read_line(&mut line)?;
            let l = line.trim_end();
            if l.is_empty() {
                break;
            }
            let lower = l.to_ascii_lowercase();
            if let Some(v) = lower.strip_prefix("content-length:") {
                length = v.trim().parse().unwrap_or(0);
            }
            if lower.starts_with("transfer-encoding:") && lower.contains("chunked") {
                chunked = true;
            }
            if lower.starts_with("connection:") && lower.contains("close") {
                close = true;
            }
        }
        if chunked {
            loop {
                line.clear();
                self.reader.read_line(&mut line)?;
                let n = usize::from_str_radix(line.trim(), 16).unwrap_or(0);
                let mut chunk = vec![0; n + 2];
                self.reader.read_exact(&mut chunk)?;
                if n == 0 {
                    break;
                }
            }
        } else {
            let mut body = vec![0; length];
            self.reader.read_exact(&mut body)?;
        }
        if code == 0 {
            return Err(std::io::Error::other("no status line"));
        }
        Ok((code, close))
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.len() < 3 {
        usage();
    }
    let url = args[0]
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_string();
    let target = args[1].clone();
    let template = args[2].clone();
    let mut connections = 64usize;
    let mut seconds = None;
    let mut requests = None;
    // With --bodies, request n sends line n of the file (and there are as many requests).
    let mut bodies: Option<Arc<Vec<String>>> = None;
    let mut i = 3;
    while i < args.len() {
        let v = args.get(i + 1).unwrap_or_else(|| usage());
        match args[i].as_str() {
            "--connections" => connections = v.parse().unwrap_or_else(|_| usage()),
            "--seconds" => seconds = Some(v.parse::<f64>().unwrap_or_else(|_| usage())),
            "--requests" => requests = Some(v.parse::<u64>().unwrap_or_else(|_| usage())),
            "--bodies" => {
                let text = std::fs::read_to_string(v).unwrap_or_else(|e| {
                    eprintln!("serve_load: cannot read {v}: {e}");
                    std::process::exit(2)
                });
                let lines: Vec<String> = text.lines().map(str::to_string).collect();
                requests = Some(lines.len() as u64);
                bodies = Some(Arc::new(lines));
            }
            _ => usage(),
        }
        i += 2;
    }
    let seconds = seconds.unwrap_or(if requests.is_some() { f64::MAX } else { 5.0 });
    let next = Arc::new(AtomicU64::new(0));
    let errors = Arc::new(AtomicU64::new(0));
    let start = Instant::now();
    let deadline = start + Duration::from_secs_f64(seconds.min(1e6));
    let workers: Vec<_> = (0..connections)
        .map(|_| {
            let (url, target, template) = (url.clone(), target.clone(), template.clone());
            let (next, errors) = (Arc::clone(&next), Arc::clone(&errors));
            let bodies = bodies.clone();
            std::thread::spawn(move || {
                let mut latencies = Vec::new();
                let mut conn = match Conn::open(&url) {
                    Ok(c) => c,
                    Err(e) => {
                        eprintln!("serve_load: cannot connect to {url}: {e}");
                        return latencies;
                    }
                };
                loop {
                    let n = next.fetch_add(1, Ordering::Relaxed);
                    if requests.is_some_and(|r| n >= r) || Instant::now() >= deadline {
                        break;
                    }
                    let body = match &bodies {
                        Some(b) => b[n as usize].clone(),
                        None => template.replace("{n}", &n.to_string()),
                    };
                    let t = Instant::now();
                    let answer = conn.call(&url, &target, &body);
                    let closed = matches!(answer, Ok((_, true)));
                    match answer {
                        Ok((200, _)) => latencies.push(t.elapsed()),
                        Ok(_) => {
                            errors.fetch_add(1, Ordering::Relaxed);
                        }
                        Err(_) => {
                            errors.fetch_add(1, Ordering::Relaxed);
                            match Conn::open(&url) {
                                Ok(c) => conn = c,
                                Err(_) => break,
                            }
                            continue;
                        }
                    }
                    if closed {
                        // A server that closes after each response: a new connection.
                        match Conn::open(&url) {
                            Ok(c) => conn = c,
                            Err(_) => break,
                        }
                    }
                }
                latencies
            })
        })
        .collect();
    let mut all: Vec<Duration> = workers
        .into_iter()
        .flat_map(|w| w.join().unwrap_or_default())
        .collect();
    let elapsed = start.elapsed().as_secs_f64();
    all.sort();
    let pct = |p: f64| {
        all.get(((all.len() as f64 * p) as usize).min(all.len().saturating_sub(1)))
            .map_or(0.0, |d| d.as_secs_f64() * 1000.0)
    };
    println!(
        "{{\"requests\": {}, \"errors\": {}, \"seconds\": {:.3}, \"per_second\": {:.1}, \"p50_ms\": {:.3}, \"p99_ms\": {:.3}}}",
        all.len(),
        errors.load(Ordering::Relaxed),
        elapsed,
        all.len() as f64 / elapsed,
        pct(0.50),
        pct(0.99)
    );
}
