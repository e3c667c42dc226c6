//! Hand-written baseline for `asl run datasets/map/workflow.asl.json`.
//!
//! This program is the yardstick that `benches/compare_handwritten.sh` measures the
//! engine against: it computes exactly what the benchmark workflow computes, written
//! directly in Rust with the same building blocks the engine uses (serde_json `Value`s
//! with preserve_order, rayon for data parallelism, mimalloc as global allocator), so
//! the ratio of the two wall times is the cost of interpreting the workflow.
//!
//! Usage: `cargo run --release --example handwritten -- INPUT [THREADS]`
//!
//! It reads INPUT (`{"items": [...]}`, see `datasets/gen_map_input.py`), parses it into a
//! `serde_json::Value`, and for each item of `items`, in parallel, builds
//!
//! ```text
//! {"sum": MathAdd(a, b), "label": "<name> of <category>", "a": a, "name": name,
//!  "size": "big" if sum > 1000 else "small"}
//! ```
//!
//! (the `Compute` Pass's Parameters in key order, then `Big`/`Small`'s ResultPath
//! `$.size`), and writes the array as compact JSON plus a newline to stdout, which is
//! what `asl run ... --quiet` prints for the workflow's output.

use mimalloc::MiMalloc;
use rayon::prelude::*;
use serde_json::{Map, Value};
use std::io::Write;

#[global_allocator]
static GLOBAL: MiMalloc = MiMalloc;

/// One argument of States.MathAdd: AWS rounds each to an integer like Java's
/// `Math.round` (half up: floor(x + 0.5)). Integers pass unchanged.
fn math_add_arg(v: &Value) -> Result<i64, String> {
    if let Some(i) = v.as_i64() {
        return Ok(i);
    }
    match v.as_f64() {
        Some(f) if f.is_finite() => Ok((f + 0.5).floor() as i64),
        _ => Err(format!("States.MathAdd: not a number: {v}")),
    }
}

/// States.Format's rendering of one argument: strings as they are, others as JSON.
fn format_arg(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn field<'a>(item: &'a Value, k: &str) -> Result<&'a Value, String> {
    item.get(k)
        .ok_or_else(|| format!("item has no field '{k}': {item}"))
}

/// What the workflow's item processor outputs for one item.
fn process(item: &Value) -> Result<Value, String> {
    let a = field(item, "a")?;
    let b = field(item, "b")?;
    let name = field(item, "name")?;
    let category = field(item, "category")?;
    let sum = math_add_arg(a)?
        .checked_add(math_add_arg(b)?)
        .ok_or("States.MathAdd: the sum is out of range")?;
    let label = format!("{} of {}", format_arg(name), format_arg(category));
    let size = if sum > 1000 { "big" } else { "small" };
    let mut out = Map::with_capacity(5);
    out.insert("sum".to_owned(), Value::from(sum));
    out.insert("label".to_owned(), Value::String(label));
    out.insert("a".to_owned(), a.clone());
    out.insert("name".to_owned(), name.clone());
    out.insert("size".to_owned(), Value::String(size.to_owned()));
    Ok(Value::Object(out))
}

fn run() -> Result<(), String> {
    let mut args = std::env::args().skip(1);
    let path = args.next().ok_or("usage: handwritten INPUT [THREADS]")?;
    if let Some(t) = args.next() {
        let n: usize = t.parse().map_err(|e| format!("THREADS: {e}"))?;
        rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .build_global()
            .map_err(|e| e.to_string())?;
    }
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{path}: {e}"))?;
    let input: Value = serde_json::from_str(&text).map_err(|e| format!("{path}: {e}"))?;
    drop(text);
    let items = input
        .get("items")
        .and_then(Value::as_array)
        .ok_or("the input has no array 'items'")?;
    let results: Vec<Value> = items.par_iter().map(process).collect::<Result<_, _>>()?;
    let out = Value::Array(results);
    let stdout = std::io::stdout();
    let mut w = std::io::BufWriter::with_capacity(1 << 16, stdout.lock());
    serde_json::to_writer(&mut w, &out).map_err(|e| e.to_string())?;
    w.write_all(b"\n").map_err(|e| e.to_string())?;
    w.flush().map_err(|e| e.to_string())?;
    Ok(())
}

fn main() {
    if let Err(e) = run() {
        eprintln!("handwritten: {e}");
        std::process::exit(2);
    }
}
