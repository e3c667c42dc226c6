//! `asl datasets logs`: synthetic web-server access logs for the Distributed Map examples
//! (`datasets/logs/`) and `benches/etl_compare.sh`.
//!
//! Row `i` is a pure function of `(seed, i)` (a counter-based SplitMix64 stream), so the
//! same seed gives the same rows in the same order whatever the format, the `--files`
//! split or the batch size. Generation streams: one thread generates 64Ki-row batches
//! (Arrow arrays, or formatted text) while the other writes them, through a channel of
//! two batches, so memory stays bounded (Parquet adds one row group of encoded pages).
//!
//! Columns: `timestamp` (ISO-8601 UTC string, millisecond precision,
//! `2024-03-01T00:00:00.000Z`, strictly increasing, ~40 rows per second), `method`,
//! `path`, `status`, `bytes`, `latency_ms`, `user_agent`, `client_ip`. The Parquet schema
//! keeps `timestamp` as Utf8 (not a Parquet TIMESTAMP) so that every format gives the
//! same items to a Map (CSV and JSONL have no timestamp type) and `substr(timestamp, 1,
//! 16)` is the minute in every tool; `status`, `bytes` and `latency_ms` are Int64, the
//! other columns Utf8, none nullable.

use super::args::{DataFormat, DatasetKind, DatasetsArgs, LogsArgs};
use super::{EXIT_OK, EXIT_USAGE};
use arrow::array::{ArrayRef, Int64Builder, RecordBatch, StringBuilder};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::properties::WriterProperties;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::mpsc::sync_channel;
use std::time::Instant;

/// Rows per generated batch.
pub const BATCH_ROWS: usize = 64 * 1024;
/// Rows per Parquet row group: row groups are the units readers decode in parallel (DuckDB
/// writes 122,880), so a file of a few million rows still spreads over the cores.
pub const ROW_GROUP_ROWS: usize = 128 * 1024;
/// 2024-03-01T00:00:00Z in milliseconds since the epoch.
const BASE_MS: i64 = 1_709_251_200_000;
/// Mean milliseconds between two requests (each row lands in its own slot of this width).
const STEP_MS: u64 = 25;

pub fn datasets(a: DatasetsArgs) -> i32 {
    match a.kind {
        DatasetKind::Logs(l) => match logs(&l) {
            Ok(()) => EXIT_OK,
            Err(e) => {
                eprintln!("asl datasets logs: {e}");
                EXIT_USAGE
            }
        },
    }
}

fn ext(f: DataFormat) -> &'static str {
    match f {
        DataFormat::Parquet => "parquet",
        DataFormat::Jsonl => "jsonl",
        DataFormat::Csv => "csv",
    }
}

fn logs(a: &LogsArgs) -> Result<(), String> {
    let out = Path::new(&a.out);
    std::fs::create_dir_all(out).map_err(|e| format!("{}: {e}", out.display()))?;
    let started = Instant::now();
    let k = a.files.unwrap_or(1);
    let files: Vec<(PathBuf, u64, u64)> = (0..k)
        .map(|f| {
            let name = match a.files {
                None => format!("access.{}", ext(a.format)),
                Some(_) => format!("part-{f:05}.{}", ext(a.format)),
            };
            let lo = (a.rows as u128 * f as u128 / k as u128) as u64;
            let hi = (a.rows as u128 * (f + 1) as u128 / k as u128) as u64;
            (out.join(name), lo, hi)
        })
        .collect();
    let generator = Generator::new(a.seed);
    let format = a.format;
    let plan = files.clone();
    std::thread::scope(|s| -> Result<(), String> {
        let (tx, rx) = sync_channel::<Payload>(2);
        let g = &generator;
        s.spawn(move || {
            for (_, lo, hi) in plan {
                let mut start = lo;
                while start < hi {
                    let end = (start + BATCH_ROWS as u64).min(hi);
                    let p = match format {
                        DataFormat::Parquet => Payload::Batch(g.record_batch(start, end)),
                        DataFormat::Jsonl => Payload::Text(g.jsonl(start, end)),
                        DataFormat::Csv => Payload::Text(g.csv(start, end)),
                    };
                    if tx.send(p).is_err() {
                        return; // the writer stopped on an error
                    }
                    start = end;
                }
            }
        });
        for (path, lo, hi) in &files {
            let batches = (hi - lo).div_ceil(BATCH_ROWS as u64);
            let err = |e: &dyn std::fmt::Display| format!("{}: {e}", path.display());
            let file = File::create(path).map_err(|e| err(&e))?;
            match format {
                DataFormat::Parquet => {
                    let mut w = ArrowWriter::try_new(file, schema(), Some(writer_properties()))
                        .map_err(|e| err(&e))?;
                    for _ in 0..batches {
                        match rx.recv() {
                            Ok(Payload::Batch(b)) => w.write(&b).map_err(|e| err(&e))?,
                            _ => return Err("generator stopped".into()),
                        }
                    }
                    w.close().map_err(|e| err(&e))?;
                }
                DataFormat::Jsonl | DataFormat::Csv => {
                    let mut w = BufWriter::with_capacity(1 << 20, file);
                    if format == DataFormat::Csv {
                        w.write_all(CSV_HEADER.as_bytes()).map_err(|e| err(&e))?;
                    }
                    for _ in 0..batches {
                        match rx.recv() {
                            Ok(Payload::Text(t)) => w.write_all(&t).map_err(|e| err(&e))?,
                            _ => return Err("generator stopped".into()),
                        }
                    }
                    w.flush().map_err(|e| err(&e))?;
                }
            }
            outln!("{}", path.display());
        }
        Ok(())
    })?;
    eprintln!(
        "asl datasets logs: {} rows, {} file(s), {} in {:.2} s",
        a.rows,
        files.len(),
        ext(a.format),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

enum Payload {
    Batch(RecordBatch),
    Text(Vec<u8>),
}

const CSV_HEADER: &str = "timestamp,method,path,status,bytes,latency_ms,user_agent,client_ip\n";

/// The Arrow (and Parquet) schema of the logs.
pub fn schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new("timestamp", DataType::Utf8, false),
        Field::new("method", DataType::Utf8, false),
        Field::new("path", DataType::Utf8, false),
        Field::new("status", DataType::Int64, false),
        Field::new("bytes", DataType::Int64, false),
        Field::new("latency_ms", DataType::Int64, false),
        Field::new("user_agent", DataType::Utf8, false),
        Field::new("client_ip", DataType::Utf8, false),
    ]))
}

fn writer_properties() -> WriterProperties {
    WriterProperties::builder()
        .set_compression(Compression::SNAPPY)
        .set_max_row_group_row_count(Some(ROW_GROUP_ROWS))
        .set_created_by("asl datasets logs".into())
        .build()
}

// ---------------------------------------------------------------------------------------
// The generator.

const METHODS: [&str; 4] = ["GET", "POST", "PUT", "DELETE"];
/// Cumulative weights out of 100: GET 78, POST 15, PUT 5, DELETE 2.
const METHOD_CUM: [u64; 4] = [78, 93, 98, 100];

/// (status, cumulative weight out of 10,000): 2xx 86.8%, 3xx 6.7%, 4xx 4.5%, 5xx 2.0%.
const STATUS_CUM: [(i64, u64); 15] = [
    (200, 8430),
    (201, 8580),
    (204, 8680),
    (301, 8800),
    (302, 9000),
    (304, 9350),
    (400, 9450),
    (401, 9530),
    (403, 9580),
    (404, 9780),
    (429, 9800),
    (500, 9910),
    (502, 9950),
    (503, 9990),
    (504, 10000),
];

const USER_AGENTS: [&str; 32] = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:125.0) Gecko/20100101 Firefox/125.0",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.6367.82 Mobile Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36 Edg/124.0.2478.67",
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
    "Mozilla/5.0 (iPad; CPU OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; Android 13; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/123.0.6312.118 Mobile Safari/537.36",
    "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14.4; rv:125.0) Gecko/20100101 Firefox/125.0",
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
    "Mozilla/5.0 (compatible; YandexBot/3.0; +http://yandex.com/bots)",
    "Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)",
    "DuckDuckBot/1.1; (+http://duckduckgo.com/duckduckbot.html)",
    "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
    "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
    "curl/8.5.0",
    "curl/7.81.0",
    "Wget/1.21.4",
    "python-requests/2.31.0",
    "python-httpx/0.27.0",
    "Go-http-client/2.0",
    "okhttp/4.12.0",
    "axios/1.6.8",
    "node-fetch/1.0 (+https://github.com/bitinn/node-fetch)",
    "PostmanRuntime/7.37.3",
    "Apache-HttpClient/4.5.14 (Java/17.0.10)",
    "aws-sdk-js/3.556.0 ua/2.0 os/linux lang/js md/nodejs#20.12.2",
    "ELB-HealthChecker/2.0",
];

/// One path and the median size of its responses.
struct PathInfo {
    path: String,
    bytes: f64,
    api: bool,
}

/// A fixed list of a few hundred paths (the same for every seed), most popular first.
fn paths() -> Vec<PathInfo> {
    let mut v = Vec::new();
    let mut add = |p: String, bytes: f64, api: bool| {
        v.push(PathInfo {
            path: p,
            bytes,
            api,
        })
    };
    for p in [
        "/",
        "/index.html",
        "/login",
        "/logout",
        "/cart",
        "/checkout",
        "/search",
    ] {
        add(p.into(), 18_000.0, false);
    }
    for p in ["/healthz", "/favicon.ico", "/robots.txt", "/sitemap.xml"] {
        add(p.into(), 300.0, false);
    }
    for p in [
        "/api/v1/session",
        "/api/v1/cart",
        "/api/v1/search",
        "/api/v1/recommendations",
        "/api/v1/events",
        "/api/v1/checkout",
        "/api/v1/payments",
        "/api/v2/graphql",
    ] {
        add(p.into(), 1_500.0, true);
    }
    for name in ["app", "vendor", "runtime", "checkout", "search"] {
        add(format!("/static/js/{name}.3f9a2c.js"), 90_000.0, false);
        add(format!("/static/css/{name}.77b1e0.css"), 25_000.0, false);
    }
    let categories = [
        "shoes", "shirts", "jackets", "bags", "watches", "hats", "socks", "jeans",
    ];
    for c in categories {
        add(format!("/category/{c}"), 22_000.0, false);
        add(format!("/api/v1/categories/{c}/products"), 6_000.0, true);
    }
    for id in 1..=60 {
        let c = categories[id % categories.len()];
        add(format!("/products/{c}-{}", 1000 + id * 7), 20_000.0, false);
        add(format!("/api/v1/products/{}", 1000 + id * 7), 2_500.0, true);
        add(
            format!("/static/img/products/{}.jpg", 1000 + id * 7),
            120_000.0,
            false,
        );
    }
    for id in 1..=40 {
        add(format!("/api/v1/users/{}", 50_000 + id * 13), 900.0, true);
        add(
            format!("/api/v1/orders/{}", 700_000 + id * 31),
            1_800.0,
            true,
        );
    }
    for p in [
        "about", "contact", "careers", "privacy", "terms", "help", "returns", "shipping",
    ] {
        add(format!("/{p}"), 12_000.0, false);
    }
    for slug in [
        "spring-collection",
        "how-to-choose-running-shoes",
        "care-guide-leather",
        "sustainability-report",
        "gift-ideas",
        "size-guide",
    ] {
        add(format!("/blog/{slug}"), 30_000.0, false);
    }
    for p in ["/wp-login.php", "/.env", "/admin", "/phpmyadmin/index.php"] {
        add(p.into(), 200.0, false);
    }
    v
}

const GOLDEN: u64 = 0x9E37_79B9_7F4A_7C15;
/// Random draws reserved per row.
const DRAWS: u64 = 16;

fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A uniform float in [0, 1).
fn unit(x: u64) -> f64 {
    (x >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}

/// A standard normal from two uniform draws (Box–Muller).
fn normal(a: u64, b: u64) -> f64 {
    let u = 1.0 - unit(a); // (0, 1]
    (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * unit(b)).cos()
}

/// One generated row, as indexes into the tables.
struct Row {
    ts_ms: i64,
    method: usize,
    path: usize,
    status: i64,
    bytes: i64,
    latency_ms: i64,
    ua: usize,
    ip: u32,
}

struct Generator {
    base: u64,
    paths: Vec<PathInfo>,
    /// Indexes of the API paths (the only targets of POST, PUT and DELETE).
    api: Vec<usize>,
    /// `user_agent` quoted for CSV.
    ua_csv: Vec<String>,
}

impl Generator {
    fn new(seed: u64) -> Generator {
        let paths = paths();
        let api = (0..paths.len()).filter(|&i| paths[i].api).collect();
        let ua_csv = USER_AGENTS.iter().map(|u| csv_field(u)).collect();
        // Neither needs JSON escaping; paths need no CSV quoting.
        assert!(paths.iter().all(|p| !p.path.contains(['"', '\\', ','])));
        assert!(USER_AGENTS.iter().all(|u| !u.contains(['"', '\\'])));
        Generator {
            base: mix(seed ^ 0x5EED_0FA5_1065_0000),
            paths,
            api,
            ua_csv,
        }
    }

    fn row(&self, i: u64) -> Row {
        let s = self
            .base
            .wrapping_add(i.wrapping_mul(DRAWS).wrapping_mul(GOLDEN));
        let d = |j: u64| mix(s.wrapping_add(j.wrapping_mul(GOLDEN)));
        let ts_ms = BASE_MS + (i * STEP_MS + d(0) % STEP_MS) as i64;
        let m = d(1) % 100;
        let method = METHOD_CUM.iter().position(|&c| m < c).unwrap_or(0);
        // Popularity falls off with the index: u^3 puts ~46% of requests in the first tenth.
        let u = unit(d(2));
        let skew = u * u * u;
        let path = if method == 0 {
            (skew * self.paths.len() as f64) as usize
        } else {
            self.api[(skew * self.api.len() as f64) as usize]
        };
        let r = d(3) % 10_000;
        let mut status = STATUS_CUM
            .iter()
            .find(|&&(_, c)| r < c)
            .map_or(200, |&(s, _)| s);
        if status == 201 && method == 0 {
            status = 200;
        }
        // Log-normal: median 60 ms, sigma 1.5, so ~3% of requests take over a second;
        // gateway timeouts take ~30 s.
        let z = normal(d(4), d(5));
        let mut latency_ms = (60.0 * (1.5 * z).exp()).clamp(1.0, 120_000.0) as i64;
        if status == 504 {
            latency_ms = 29_000 + (d(6) % 2_000) as i64;
        }
        let bytes = match status {
            204 | 304 => 0,
            301 | 302 => 150 + (d(7) % 200) as i64,
            400..=599 => 200 + (d(7) % 1_500) as i64,
            _ => (self.paths[path].bytes * (0.6 * normal(d(7), d(8))).exp()) as i64,
        };
        let v = unit(d(9));
        let ua = (v * v * USER_AGENTS.len() as f64) as usize;
        // ~20,000 clients, a few of them very busy.
        let w = unit(d(10));
        let client = (w * w * w * 20_000.0) as u64;
        let h = mix(self.base ^ client.wrapping_mul(GOLDEN));
        let mut a = 1 + (h % 223) as u32;
        if a == 10 || a == 127 {
            a += 1;
        }
        let ip = (a << 24) | ((h >> 8) as u32 & 0x00FF_FFFF);
        Row {
            ts_ms,
            method,
            path,
            status,
            bytes,
            latency_ms,
            ua,
            ip,
        }
    }

    fn record_batch(&self, lo: u64, hi: u64) -> RecordBatch {
        let n = (hi - lo) as usize;
        let mut ts = StringBuilder::with_capacity(n, n * 24);
        let mut method = StringBuilder::with_capacity(n, n * 4);
        let mut path = StringBuilder::with_capacity(n, n * 24);
        let mut status = Int64Builder::with_capacity(n);
        let mut bytes = Int64Builder::with_capacity(n);
        let mut latency = Int64Builder::with_capacity(n);
        let mut ua = StringBuilder::with_capacity(n, n * 80);
        let mut ip = StringBuilder::with_capacity(n, n * 15);
        let mut tbuf = [0u8; 24];
        let mut ibuf = [0u8; 15];
        for i in lo..hi {
            let r = self.row(i);
            ts.append_value(format_ts(r.ts_ms, &mut tbuf));
            method.append_value(METHODS[r.method]);
            path.append_value(&self.paths[r.path].path);
            status.append_value(r.status);
            bytes.append_value(r.bytes);
            latency.append_value(r.latency_ms);
            ua.append_value(USER_AGENTS[r.ua]);
            ip.append_value(format_ip(r.ip, &mut ibuf));
        }
        let cols: Vec<ArrayRef> = vec![
            Arc::new(ts.finish()),
            Arc::new(method.finish()),
            Arc::new(path.finish()),
            Arc::new(status.finish()),
            Arc::new(bytes.finish()),
            Arc::new(latency.finish()),
            Arc::new(ua.finish()),
            Arc::new(ip.finish()),
        ];
        RecordBatch::try_new(schema(), cols).expect("columns match the schema")
    }

    /// Paths and user agents need no JSON escaping (asserted by `Generator::new`).
    fn jsonl(&self, lo: u64, hi: u64) -> Vec<u8> {
        let mut out = Vec::with_capacity((hi - lo) as usize * 260);
        let mut tbuf = [0u8; 24];
        let mut ibuf = [0u8; 15];
        for i in lo..hi {
            let r = self.row(i);
            let _ = writeln!(
                out,
                "{{\"timestamp\":\"{}\",\"method\":\"{}\",\"path\":\"{}\",\"status\":{},\"bytes\":{},\"latency_ms\":{},\"user_agent\":\"{}\",\"client_ip\":\"{}\"}}",
                format_ts(r.ts_ms, &mut tbuf),
                METHODS[r.method],
                self.paths[r.path].path,
                r.status,
                r.bytes,
                r.latency_ms,
                USER_AGENTS[r.ua],
                format_ip(r.ip, &mut ibuf),
            );
        }
        out
    }

    fn csv(&self, lo: u64, hi: u64) -> Vec<u8> {
        let mut out = Vec::with_capacity((hi - lo) as usize * 200);
        let mut tbuf = [0u8; 24];
        let mut ibuf = [0u8; 15];
        for i in lo..hi {
            let r = self.row(i);
            let _ = writeln!(
                out,
                "{},{},{},{},{},{},{},{}",
                format_ts(r.ts_ms, &mut tbuf),
                METHODS[r.method],
                self.paths[r.path].path,
                r.status,
                r.bytes,
                r.latency_ms,
                self.ua_csv[r.ua],
                format_ip(r.ip, &mut ibuf),
            );
        }
        out
    }
}

/// RFC 4180 quoting when the field needs it.
fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// `YYYY-MM-DDTHH:MM:SS.mmmZ` for milliseconds since the epoch (years 1970..=9999).
fn format_ts(ms: i64, buf: &mut [u8; 24]) -> &str {
    let secs = ms.div_euclid(1000);
    let milli = ms.rem_euclid(1000) as u32;
    let days = secs.div_euclid(86_400);
    let sod = secs.rem_euclid(86_400) as u32;
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = (yoe + era * 400 + i64::from(m <= 2)) as u32;
    let put = |b: &mut [u8; 24], at: usize, v: u32, width: usize| {
        let mut v = v;
        for k in (0..width).rev() {
            b[at + k] = b'0' + (v % 10) as u8;
            v /= 10;
        }
    };
    put(buf, 0, y, 4);
    buf[4] = b'-';
    put(buf, 5, m, 2);
    buf[7] = b'-';
    put(buf, 8, d, 2);
    buf[10] = b'T';
    put(buf, 11, sod / 3600, 2);
    buf[13] = b':';
    put(buf, 14, sod / 60 % 60, 2);
    buf[16] = b':';
    put(buf, 17, sod % 60, 2);
    buf[19] = b'.';
    put(buf, 20, milli, 3);
    buf[23] = b'Z';
    std::str::from_utf8(buf).expect("ASCII")
}

/// Dotted-quad IPv4.
fn format_ip(ip: u32, buf: &mut [u8; 15]) -> &str {
    let mut n = 0;
    for (k, octet) in ip.to_be_bytes().iter().enumerate() {
        if k > 0 {
            buf[n] = b'.';
            n += 1;
        }
        let o = *octet;
        if o >= 100 {
            buf[n] = b'0' + o / 100;
            n += 1;
        }
        if o >= 10 {
            buf[n] = b'0' + o / 10 % 10;
            n += 1;
        }
        buf[n] = b'0' + o % 10;
        n += 1;
    }
    std::str::from_utf8(&buf[..n]).expect("ASCII")
}
