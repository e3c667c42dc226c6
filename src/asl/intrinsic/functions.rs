//! The 18 intrinsic functions of the JSONPath query language: arity, parse-time checks of
//! literal arguments, and evaluation on argument values.

use super::json_text;
use super::render::java_to_string;
use super::{Arg, Call};
use crate::asl::Failure;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use rand::{Rng, SeedableRng};
use serde_json::{Map, Value};

pub(super) const FORMAT: &str = "States.Format";

/// Longest input string of `States.Base64Encode`, `Base64Decode` and `Hash`.
const MAX_STRING_CHARS: usize = 10_000;
/// Most elements `States.ArrayRange` may produce.
const MAX_RANGE_ITEMS: usize = 1_000;

/// (name, min args, max args (None: unbounded)).
const SPECS: &[(&str, usize, Option<usize>)] = &[
    (FORMAT, 1, None),
    ("States.StringToJson", 1, Some(1)),
    ("States.JsonToString", 1, Some(1)),
    ("States.Array", 0, None),
    ("States.ArrayPartition", 2, Some(2)),
    ("States.ArrayContains", 2, Some(2)),
    ("States.ArrayRange", 3, Some(3)),
    ("States.ArrayGetItem", 2, Some(2)),
    ("States.ArrayLength", 1, Some(1)),
    ("States.ArrayUnique", 1, Some(1)),
    ("States.Base64Encode", 1, Some(1)),
    ("States.Base64Decode", 1, Some(1)),
    ("States.Hash", 2, Some(2)),
    ("States.JsonMerge", 3, Some(3)),
    ("States.MathRandom", 2, Some(3)),
    ("States.MathAdd", 2, Some(2)),
    ("States.StringSplit", 2, Some(2)),
    ("States.UUID", 0, Some(0)),
];

/// The names of all intrinsic functions.
pub const FUNCTION_NAMES: [&str; 18] = {
    let mut names = [""; 18];
    let mut i = 0;
    while i < 18 {
        names[i] = SPECS[i].0;
        i += 1;
    }
    names
};

/// `(min, max)` number of arguments of a function (`max` None: any number), or None for
/// an unknown function.
pub fn arity(name: &str) -> Option<(usize, Option<usize>)> {
    SPECS.iter().find(|s| s.0 == name).map(|s| (s.1, s.2))
}

const HASH_ALGORITHMS: [&str; 5] = ["MD5", "SHA-1", "SHA-256", "SHA-384", "SHA-512"];

/// Checks of literal arguments that AWS makes when the state machine is created.
pub(super) fn check_literals(call: &Call) -> Result<(), String> {
    let lit = |i: usize| match call.args.get(i) {
        Some(Arg::Literal(v)) => Some(v),
        _ => None,
    };
    // Literal arguments whose type is fixed by the function's signature: AWS rejects a
    // wrong literal when the state machine is created.
    let expect: &[(usize, &str)] = match call.name.as_str() {
        "States.MathAdd" | "States.ArrayRange" | "States.MathRandom" => {
            &[(0, "number"), (1, "number"), (2, "number")]
        }
        "States.ArrayPartition" | "States.ArrayGetItem" => &[(0, "array"), (1, "number")],
        "States.ArrayLength" | "States.ArrayUnique" | "States.ArrayContains" => &[(0, "array")],
        "States.StringSplit" => &[(0, "string"), (1, "string")],
        "States.Base64Encode" | "States.Base64Decode" | "States.StringToJson" | "States.Format" => {
            &[(0, "string")]
        }
        "States.Hash" => &[(1, "string")],
        "States.JsonMerge" => &[(0, "object"), (1, "object")],
        _ => &[],
    };
    for &(i, ty) in expect {
        if let Some(v) = lit(i) {
            let ok = match ty {
                "number" => v.is_number(),
                "string" => v.is_string(),
                "array" => v.is_array(),
                _ => v.is_object(),
            };
            if !ok {
                return Err(format!(
                    "argument {} of {} must be a {ty}, got {v}",
                    i + 1,
                    call.name
                ));
            }
        }
    }
    match call.name.as_str() {
        "States.JsonMerge" => match lit(2) {
            Some(Value::Bool(false)) | None => Ok(()),
            Some(v) => Err(format!(
                "the third argument of States.JsonMerge must be false (deep merge is not supported), got {v}"
            )),
        },
        "States.Hash" => match lit(1) {
            Some(Value::String(a)) if !HASH_ALGORITHMS.contains(&a.as_str()) => Err(format!(
                "unsupported hash algorithm '{a}' for States.Hash; supported: {}",
                HASH_ALGORITHMS.join(", ")
            )),
            _ => Ok(()),
        },
        _ => Ok(()),
    }
}

fn fail(name: &str, msg: impl std::fmt::Display) -> Failure {
    Failure::intrinsic(format!("Invalid arguments in {name}: {msg}"))
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// Argument accessors that fail with the function's name and the argument's position.
struct Args<'a> {
    name: &'a str,
    values: Vec<Value>,
}

impl Args<'_> {
    fn take(&mut self, i: usize) -> Value {
        self.values
            .get_mut(i)
            .map(Value::take)
            .unwrap_or(Value::Null)
    }
    fn wrong(&self, i: usize, expected: &str) -> Failure {
        let got = self.values.get(i).map_or("nothing", type_name);
        fail(
            self.name,
            format!("argument {} must be {expected}, got {got}", i + 1),
        )
    }
    fn string(&mut self, i: usize) -> Result<String, Failure> {
        match self.take(i) {
            Value::String(s) => Ok(s),
            v => {
                self.values[i] = v;
                Err(self.wrong(i, "a string"))
            }
        }
    }
    fn array(&mut self, i: usize) -> Result<Vec<Value>, Failure> {
        match self.take(i) {
            Value::Array(a) => Ok(a),
            v => {
                self.values[i] = v;
                Err(self.wrong(i, "an array"))
            }
        }
    }
    fn object(&mut self, i: usize) -> Result<Map<String, Value>, Failure> {
        match self.take(i) {
            Value::Object(o) => Ok(o),
            v => {
                self.values[i] = v;
                Err(self.wrong(i, "a JSON object"))
            }
        }
    }
    /// An integer (a float with no fractional part counts).
    fn integer(&self, i: usize) -> Result<i64, Failure> {
        match self.values.get(i) {
            Some(Value::Number(n)) => n
                .as_i64()
                .or_else(|| {
                    n.as_f64()
                        .filter(|f| f.fract() == 0.0 && f.abs() < 9.0e18)
                        .map(|f| f as i64)
                })
                .ok_or_else(|| self.wrong(i, "an integer")),
            _ => Err(self.wrong(i, "an integer")),
        }
    }
    /// A number rounded to an integer as Java's `Math.round` does (half up).
    fn rounded(&self, i: usize) -> Result<i64, Failure> {
        match self.values.get(i) {
            Some(Value::Number(n)) => match n.as_i64() {
                Some(v) => Ok(v),
                None => n
                    .as_f64()
                    .map(|f| (f + 0.5).floor())
                    .filter(|f| f.is_finite() && f.abs() < 9.0e18)
                    .map(|f| f as i64)
                    .ok_or_else(|| self.wrong(i, "a number in the integer range")),
            },
            _ => Err(self.wrong(i, "a number")),
        }
    }
}

/// Applies the function `name` to evaluated arguments (arity already checked at parse).
pub(super) fn apply(name: &str, values: Vec<Value>) -> Result<Value, Failure> {
    let Some((min, max)) = arity(name) else {
        return Err(Failure::intrinsic(format!(
            "Unknown intrinsic function {name}"
        )));
    };
    if values.len() < min || max.is_some_and(|m| values.len() > m) {
        return Err(fail(
            name,
            format!("wrong number of arguments: {}", values.len()),
        ));
    }
    let mut a = Args { name, values };
    match name {
        FORMAT => format(&mut a),
        "States.StringToJson" => {
            let text = a.string(0)?;
            json_text::parse(&text)
                .map_err(|e| fail(name, format!("the string is not valid JSON ({e})")))
        }
        "States.JsonToString" => Ok(Value::String(
            serde_json::to_string(&a.values[0]).unwrap_or_default(),
        )),
        "States.Array" => Ok(Value::Array(a.values)),
        "States.ArrayPartition" => {
            let size = a.integer(1)?;
            let arr = a.array(0)?;
            if size <= 0 {
                return Err(fail(
                    name,
                    format!("the chunk size must be greater than 0, got {size}"),
                ));
            }
            let chunks = arr.chunks(size as usize).map(|c| Value::Array(c.to_vec()));
            Ok(Value::Array(chunks.collect()))
        }
        "States.ArrayContains" => {
            let arr = a.array(0)?;
            Ok(Value::Bool(arr.contains(&a.values[1])))
        }
        "States.ArrayRange" => array_range(&mut a),
        "States.ArrayGetItem" => {
            let index = a.integer(1)?;
            let mut arr = a.array(0)?;
            if index < 0 || index as u64 >= arr.len() as u64 {
                return Err(fail(
                    name,
                    format!(
                        "index {index} is out of bounds for an array of length {}",
                        arr.len()
                    ),
                ));
            }
            Ok(arr.swap_remove(index as usize))
        }
        "States.ArrayLength" => Ok(Value::from(a.array(0)?.len())),
        "States.ArrayUnique" => {
            let mut out: Vec<Value> = Vec::new();
            for v in a.array(0)? {
                if !out.contains(&v) {
                    out.push(v);
                }
            }
            Ok(Value::Array(out))
        }
        "States.Base64Encode" => {
            let s = limited(&mut a, 0)?;
            Ok(Value::String(BASE64.encode(s.as_bytes())))
        }
        "States.Base64Decode" => {
            let s = limited(&mut a, 0)?;
            let bytes = BASE64
                .decode(s.as_bytes())
                .map_err(|e| fail(name, format!("invalid base64 input ({e})")))?;
            String::from_utf8(bytes)
                .map(Value::String)
                .map_err(|_| fail(name, "the decoded data is not valid UTF-8"))
        }
        "States.Hash" => hash(&mut a),
        "States.JsonMerge" => {
            if a.values[2] != Value::Bool(false) {
                return Err(fail(
                    name,
                    "the third argument must be false (deep merge is not supported)",
                ));
            }
            let mut left = a.object(0)?;
            let right = a.object(1)?;
            for (k, v) in right {
                left.insert(k, v);
            }
            Ok(Value::Object(left))
        }
        "States.MathRandom" => math_random(&mut a),
        "States.MathAdd" => {
            let (x, y) = (a.rounded(0)?, a.rounded(1)?);
            x.checked_add(y)
                .map(Value::from)
                .ok_or_else(|| fail(name, "the sum is out of range"))
        }
        "States.StringSplit" => {
            let s = a.string(0)?;
            let delims: Vec<char> = a.string(1)?.chars().collect();
            let parts = s.split(|c| delims.contains(&c)).filter(|p| !p.is_empty());
            Ok(Value::Array(
                parts.map(|p| Value::String(p.to_string())).collect(),
            ))
        }
        "States.UUID" => Ok(Value::String(uuid::Uuid::new_v4().to_string())),
        _ => Err(Failure::intrinsic(format!(
            "Unknown intrinsic function {name}"
        ))),
    }
}

fn limited(a: &mut Args<'_>, i: usize) -> Result<String, Failure> {
    let s = a.string(i)?;
    if s.chars().count() > MAX_STRING_CHARS {
        return Err(fail(
            a.name,
            format!("the input string exceeds {MAX_STRING_CHARS} characters"),
        ));
    }
    Ok(s)
}

/// `States.Format`: `{}` placeholders; in the template `\{`, `\}`, `\'` and `\\` are
/// literal characters.
fn format(a: &mut Args<'_>) -> Result<Value, Failure> {
    let template = a.string(0)?;
    let mut out = String::with_capacity(template.len());
    let mut next = 1;
    let mut chars = template.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some(e @ ('{' | '}' | '\'' | '\\')) => out.push(e),
                Some(e) => {
                    out.push('\\');
                    out.push(e);
                }
                None => out.push('\\'),
            },
            '{' if chars.peek() == Some(&'}') => {
                chars.next();
                let Some(v) = a.values.get(next) else {
                    return Err(fail(
                        a.name,
                        "the template has more placeholders than arguments",
                    ));
                };
                out.push_str(&java_to_string(v));
                next += 1;
            }
            c => out.push(c),
        }
    }
    if next != a.values.len() {
        return Err(fail(
            a.name,
            "the template has fewer placeholders than arguments",
        ));
    }
    Ok(Value::String(out))
}

fn array_range(a: &mut Args<'_>) -> Result<Value, Failure> {
    let (start, end, step) = (a.integer(0)?, a.integer(1)?, a.integer(2)?);
    if step == 0 {
        return Err(fail(a.name, "the step must not be 0"));
    }
    let count = if (step > 0 && start > end) || (step < 0 && start < end) {
        0
    } else {
        (end as i128 - start as i128) / step as i128 + 1
    };
    if count > MAX_RANGE_ITEMS as i128 {
        return Err(fail(
            a.name,
            format!("the range has more than {MAX_RANGE_ITEMS} elements"),
        ));
    }
    let items = (0..count as i64).map(|k| Value::from(start + k * step));
    Ok(Value::Array(items.collect()))
}

fn hash(a: &mut Args<'_>) -> Result<Value, Failure> {
    use sha2::Digest;
    let data = limited(a, 0)?;
    let algorithm = a.string(1)?;
    let bytes = data.as_bytes();
    let digest: Vec<u8> = match algorithm.as_str() {
        "MD5" => md5::Md5::digest(bytes).to_vec(),
        "SHA-1" => sha1::Sha1::digest(bytes).to_vec(),
        "SHA-256" => sha2::Sha256::digest(bytes).to_vec(),
        "SHA-384" => sha2::Sha384::digest(bytes).to_vec(),
        "SHA-512" => sha2::Sha512::digest(bytes).to_vec(),
        other => {
            return Err(fail(
                a.name,
                format!(
                    "unsupported hash algorithm '{other}'; supported: {}",
                    HASH_ALGORITHMS.join(", ")
                ),
            ));
        }
    };
    Ok(Value::String(
        digest.iter().map(|b| format!("{b:02x}")).collect(),
    ))
}

/// `States.MathRandom(start, end[, seed])`: an integer in `[start, end)`; the same seed
/// gives the same number.
fn math_random(a: &mut Args<'_>) -> Result<Value, Failure> {
    let (start, end) = (a.rounded(0)?, a.rounded(1)?);
    if start >= end {
        return Err(fail(
            a.name,
            format!("the start ({start}) must be less than the end ({end})"),
        ));
    }
    let n = if a.values.len() > 2 {
        let seed = a.rounded(2)?;
        rand::rngs::StdRng::seed_from_u64(seed as u64).gen_range(start..end)
    } else {
        rand::thread_rng().gen_range(start..end)
    };
    Ok(Value::from(n))
}
