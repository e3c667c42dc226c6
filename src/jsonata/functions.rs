//! The functions Step Functions adds to JSONata ("JSONata functions provided by Step
//! Functions"): `$partition`, `$range`, `$hash`, `$random([seed])`, `$uuid`, `$parse`;
//! plus `$clone` (a JSONata 2.0.6 built-in that jsonata-core lacks), `$now` and
//! `$millis` as JSONata 2.0.6 has them (`$now([picture [, timezone]])`, one timestamp for
//! the whole evaluation), and the removal of `$eval`.
//!
//! Argument errors use JSONata's own codes: T0410 (an argument does not match the
//! function's signature), T0411 (wrong kind of value in context), D3137-style
//! `D3xxx` codes for values out of range. AWS reports all of them as
//! `States.QueryEvaluationError`, so only the message text matters to a workflow.

use std::rc::Rc;

use jsonata_core::evaluator::{Evaluator, EvaluatorError};
use jsonata_core::value::{JArray, JValue};

/// Which of our functions an expression may call (a bit set, computed at parse time
/// so an evaluation registers only those).
pub const PARTITION: u16 = 1;
pub const RANGE: u16 = 1 << 1;
pub const HASH: u16 = 1 << 2;
pub const RANDOM: u16 = 1 << 3;
pub const UUID: u16 = 1 << 4;
pub const PARSE: u16 = 1 << 5;
pub const CLONE: u16 = 1 << 6;
pub const EVAL: u16 = 1 << 7;
pub const NOW: u16 = 1 << 8;
pub const MILLIS: u16 = 1 << 9;

/// The bit for a function name, 0 when it is not one of ours.
pub fn bit(name: &str) -> u16 {
    match name {
        "partition" => PARTITION,
        "range" => RANGE,
        "hash" => HASH,
        "random" => RANDOM,
        "uuid" => UUID,
        "parse" => PARSE,
        "clone" => CLONE,
        "eval" => EVAL,
        "now" => NOW,
        "millis" => MILLIS,
        _ => 0,
    }
}

/// The most items `$range` and `$partition` build (AWS caps payloads far below this).
const MAX_ITEMS: f64 = 10_000_000.0;

fn err(code: &str, msg: impl std::fmt::Display) -> EvaluatorError {
    EvaluatorError::TypeError(format!("{code}: {msg}"))
}

fn signature(n: usize, f: &str) -> EvaluatorError {
    err(
        "T0410",
        format!("Argument {n} of function \"{f}\" does not match function signature"),
    )
}

fn arg(args: &[JValue], i: usize) -> &JValue {
    args.get(i).unwrap_or(&JValue::Undefined)
}

fn integer(v: &JValue, n: usize, f: &str) -> Result<f64, EvaluatorError> {
    match v {
        JValue::Number(x) if x.is_finite() && x.fract() == 0.0 => Ok(*x),
        JValue::Number(_) => Err(err(
            "D3137",
            format!("Argument {n} of function \"{f}\" must be an integer"),
        )),
        _ => Err(signature(n, f)),
    }
}

fn too_many(args: &[JValue], max: usize, f: &str) -> Result<(), EvaluatorError> {
    if args.len() > max {
        return Err(signature(max + 1, f));
    }
    Ok(())
}

/// A result list as JSONata returns a sequence: none is undefined, one is the item.
fn sequence(items: Vec<JValue>) -> JValue {
    match items.len() {
        0 => JValue::Undefined,
        1 => items.into_iter().next().unwrap_or(JValue::Undefined),
        _ => JValue::Array(JArray::new(items)),
    }
}

/// `$partition(array, size)`: the array in chunks of `size` (the last may be shorter).
pub fn partition(args: &[JValue]) -> Result<JValue, EvaluatorError> {
    too_many(args, 2, "partition")?;
    let items: Vec<JValue> = match arg(args, 0) {
        JValue::Undefined => return Ok(JValue::Undefined),
        JValue::Array(a) => a.iter().cloned().collect(),
        JValue::Lambda(_) | JValue::Builtin { .. } | JValue::Regex { .. } => {
            return Err(signature(1, "partition"));
        }
        other => vec![other.clone()],
    };
    let size = integer(arg(args, 1), 2, "partition")?;
    if size < 1.0 {
        return Err(err(
            "D3138",
            "Argument 2 of function \"partition\" must be a positive integer",
        ));
    }
    let size = size.min(MAX_ITEMS) as usize;
    let chunks = items
        .chunks(size)
        .map(|c| JValue::Array(JArray::new(c.to_vec())))
        .collect();
    Ok(JValue::Array(JArray::new(chunks)))
}

/// `$range(start, end[, step])`: `start`, `start + step`, ... up to and including `end`.
pub fn range(args: &[JValue]) -> Result<JValue, EvaluatorError> {
    too_many(args, 3, "range")?;
    let (a, b) = (arg(args, 0), arg(args, 1));
    if a.is_undefined() || b.is_undefined() {
        return Ok(JValue::Undefined);
    }
    let start = integer(a, 1, "range")?;
    let end = integer(b, 2, "range")?;
    let step = match arg(args, 2) {
        JValue::Undefined => 1.0,
        v => integer(v, 3, "range")?,
    };
    if step == 0.0 {
        return Err(err(
            "D3139",
            "Argument 3 of function \"range\" must not be 0",
        ));
    }
    let count = if (step > 0.0 && start > end) || (step < 0.0 && start < end) {
        0.0
    } else {
        ((end - start) / step).floor() + 1.0
    };
    if count > MAX_ITEMS {
        return Err(err(
            "D2014",
            format!(
                "The size of the sequence allocated by the range operator must not exceed {MAX_ITEMS}"
            ),
        ));
    }
    let items = (0..count as u64)
        .map(|k| JValue::Number(start + k as f64 * step))
        .collect();
    Ok(sequence(items))
}

/// `$hash(value, algorithm)`: the hex digest of the string's UTF-8 bytes.
pub fn hash(args: &[JValue]) -> Result<JValue, EvaluatorError> {
    use sha2::Digest;
    too_many(args, 2, "hash")?;
    let data = match arg(args, 0) {
        JValue::Undefined => return Ok(JValue::Undefined),
        JValue::String(s) => s.clone(),
        _ => return Err(signature(1, "hash")),
    };
    let algorithm = match arg(args, 1) {
        JValue::String(s) => s.clone(),
        _ => return Err(signature(2, "hash")),
    };
    let bytes = data.as_bytes();
    let digest: Vec<u8> = match &*algorithm {
        "MD5" => md5::Md5::digest(bytes).to_vec(),
        "SHA-1" => sha1::Sha1::digest(bytes).to_vec(),
        "SHA-256" => sha2::Sha256::digest(bytes).to_vec(),
        "SHA-384" => sha2::Sha384::digest(bytes).to_vec(),
        "SHA-512" => sha2::Sha512::digest(bytes).to_vec(),
        other => {
            return Err(err(
                "D3140",
                format!(
                    "Unsupported hash algorithm \"{other}\" in function \"hash\"; supported: MD5, SHA-1, SHA-256, SHA-384, SHA-512"
                ),
            ));
        }
    };
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    Ok(JValue::String(Rc::from(hex)))
}

/// java.util.Random, for `$random(seed)`: the same seed gives the same number as
/// `new java.util.Random(seed).nextDouble()` (what Step Functions returns).
pub struct JavaRandom {
    seed: u64,
}

impl JavaRandom {
    const MULTIPLIER: u64 = 0x5DEE_CE66D;
    const MASK: u64 = (1 << 48) - 1;

    pub fn new(seed: i64) -> JavaRandom {
        JavaRandom {
            seed: (seed as u64 ^ Self::MULTIPLIER) & Self::MASK,
        }
    }

    fn next(&mut self, bits: u32) -> u64 {
        self.seed = (self.seed.wrapping_mul(Self::MULTIPLIER).wrapping_add(0xB)) & Self::MASK;
        self.seed >> (48 - bits)
    }

    pub fn next_double(&mut self) -> f64 {
        ((self.next(26) << 27) + self.next(27)) as f64 * (1.0 / (1u64 << 53) as f64)
    }
}

/// `$random()`: a number in [0, 1); `$random(seed)`: the seeded java.util.Random's
/// first `nextDouble()`.
pub fn random(args: &[JValue]) -> Result<JValue, EvaluatorError> {
    too_many(args, 1, "random")?;
    match arg(args, 0) {
        JValue::Undefined => Ok(JValue::Number(rand::random::<f64>())),
        v => {
            let seed = integer(v, 1, "random")?;
            Ok(JValue::Number(JavaRandom::new(seed as i64).next_double()))
        }
    }
}

/// `$uuid()`: a random version 4 UUID.
pub fn uuid(args: &[JValue]) -> Result<JValue, EvaluatorError> {
    too_many(args, 0, "uuid")?;
    Ok(JValue::String(Rc::from(uuid::Uuid::new_v4().to_string())))
}

/// `$parse(jsonString)`: the JSON value the string holds.
pub fn parse(args: &[JValue]) -> Result<JValue, EvaluatorError> {
    too_many(args, 1, "parse")?;
    match arg(args, 0) {
        JValue::Undefined => Ok(JValue::Undefined),
        JValue::String(s) => match serde_json::from_str::<serde_json::Value>(s) {
            Ok(v) => Ok(super::convert::to_jvalue(&v)),
            Err(e) => Err(err(
                "D3141",
                format!("Argument 1 of function \"parse\" is not valid JSON: {e}"),
            )),
        },
        _ => Err(signature(1, "parse")),
    }
}

/// `$clone(value)`: values are immutable here, so a clone is the value itself.
pub fn clone(args: &[JValue]) -> Result<JValue, EvaluatorError> {
    too_many(args, 1, "clone")?;
    Ok(arg(args, 0).clone())
}

/// `$eval` is not available in Step Functions: calling it is calling an undefined
/// function, T1006 in jsonata-js.
pub fn eval_removed(_args: &[JValue]) -> Result<JValue, EvaluatorError> {
    Err(err(
        "T1006",
        "Attempted to invoke a non-function (\"$eval\" is not available in Step Functions)",
    ))
}

thread_local! {
    /// The time of the evaluation running on this thread, in milliseconds since the
    /// epoch: jsonata-js reads the clock once per evaluation, so `$now() = $now()` and
    /// `$millis()` agree with `$now()` within one expression.
    static EVALUATION_MILLIS: std::cell::Cell<Option<i64>> = const { std::cell::Cell::new(None) };
}

/// Fixes the evaluation time on this thread until the guard drops (the previous one
/// comes back then, as evaluations may nest).
pub struct EvaluationTime(Option<i64>);

impl EvaluationTime {
    pub fn start() -> EvaluationTime {
        let now = chrono::Utc::now().timestamp_millis();
        EvaluationTime(EVALUATION_MILLIS.replace(Some(now)))
    }
}

impl Drop for EvaluationTime {
    fn drop(&mut self) {
        EVALUATION_MILLIS.set(self.0);
    }
}

fn evaluation_millis() -> i64 {
    EVALUATION_MILLIS
        .get()
        .unwrap_or_else(|| chrono::Utc::now().timestamp_millis())
}

/// An optional string argument (signature `s?`).
fn optional_string<'a>(
    args: &'a [JValue],
    i: usize,
    f: &str,
) -> Result<Option<&'a str>, EvaluatorError> {
    match arg(args, i) {
        JValue::Undefined => Ok(None),
        JValue::String(s) => Ok(Some(s)),
        _ => Err(signature(i + 1, f)),
    }
}

/// `$now([picture [, timezone]])` (JSONata 2.0.6, signature `<s?s?:s>`): the evaluation
/// time as `$fromMillis` formats it: ISO 8601 in UTC by default, or an XPath picture
/// in a timezone such as `"-0500"`.
pub fn now(args: &[JValue]) -> Result<JValue, EvaluatorError> {
    too_many(args, 2, "now")?;
    let picture = optional_string(args, 0, "now")?;
    let timezone = optional_string(args, 1, "now")?;
    let millis = evaluation_millis();
    if picture.is_none() && timezone.is_none() {
        let t = chrono::DateTime::from_timestamp_millis(millis).unwrap_or_default();
        return Ok(JValue::String(Rc::from(
            t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        )));
    }
    from_millis(millis, picture, timezone)
}

/// `$millis()` (signature `<:n>`): the evaluation time in milliseconds since the epoch.
pub fn millis(args: &[JValue]) -> Result<JValue, EvaluatorError> {
    too_many(args, 0, "millis")?;
    Ok(JValue::Number(evaluation_millis() as f64))
}

/// jsonata-core's `$fromMillis(millis, picture, timezone)` (its formatter is not public):
/// one small expression, parsed once per thread.
fn from_millis(
    millis: i64,
    picture: Option<&str>,
    timezone: Option<&str>,
) -> Result<JValue, EvaluatorError> {
    use jsonata_core::evaluator::Context;
    thread_local! {
        static FORMAT: Option<jsonata_core::ast::AstNode> =
            jsonata_core::parser::parse("$fromMillis($m, $p, $z)").ok();
    }
    let text = |s: Option<&str>| s.map_or(JValue::Undefined, |s| JValue::String(Rc::from(s)));
    let mut ctx = Context::new();
    ctx.bind("m".to_string(), JValue::Number(millis as f64));
    ctx.bind("p".to_string(), text(picture));
    ctx.bind("z".to_string(), text(timezone));
    FORMAT.with(|ast| match ast {
        Some(ast) => Evaluator::with_context(ctx).evaluate(ast, &JValue::Undefined),
        None => Err(err("D3110", "the $now formatter did not parse")),
    })
}

/// A function we provide.
type HostFn = fn(&[JValue]) -> Result<JValue, EvaluatorError>;

/// Registers the functions in `set` on `ev`.
pub fn register(ev: &mut Evaluator, set: u16) {
    let table: [(u16, &str, HostFn, bool); 10] = [
        (PARTITION, "partition", partition, false),
        (RANGE, "range", range, false),
        (HASH, "hash", hash, false),
        (RANDOM, "random", random, true),
        (UUID, "uuid", uuid, false),
        (PARSE, "parse", parse, false),
        (CLONE, "clone", clone, false),
        (EVAL, "eval", eval_removed, true),
        (NOW, "now", now, true),
        (MILLIS, "millis", millis, true),
    ];
    for (b, name, f, builtin) in table {
        if set & b != 0 {
            // Registration only fails on a name clash, which the table rules out.
            let _ = if builtin {
                ev.register_fn_override(name, f)
            } else {
                ev.register_fn(name, f)
            };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn java_random_matches_java() {
        // new java.util.Random(0).nextDouble() == 0.730967787376657
        assert_eq!(JavaRandom::new(0).next_double(), 0.730967787376657);
        // new java.util.Random(42).nextDouble() == 0.7275636800328681
        assert_eq!(JavaRandom::new(42).next_double(), 0.7275636800328681);
    }
}
