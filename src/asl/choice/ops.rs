//! The comparison operators of a Choice rule: names, operand types and how two
//! values compare; plus the `StringMatches` pattern and the timestamp format.

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveTime, TimeZone};
use serde_json::{Number, Value};
use std::cmp::Ordering;

/// How a comparison operator relates the variable to its operand.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cmp {
    Equals,
    LessThan,
    GreaterThan,
    LessThanEquals,
    GreaterThanEquals,
}

impl Cmp {
    const ALL: [Cmp; 5] = [
        Cmp::Equals,
        Cmp::LessThan,
        Cmp::GreaterThan,
        Cmp::LessThanEquals,
        Cmp::GreaterThanEquals,
    ];

    /// The operator-name suffix (`Equals`, `LessThan`, ...).
    pub fn suffix(self) -> &'static str {
        match self {
            Cmp::Equals => "Equals",
            Cmp::LessThan => "LessThan",
            Cmp::GreaterThan => "GreaterThan",
            Cmp::LessThanEquals => "LessThanEquals",
            Cmp::GreaterThanEquals => "GreaterThanEquals",
        }
    }

    /// Whether `ord` (variable compared with operand) satisfies this comparison.
    pub fn holds(self, ord: Ordering) -> bool {
        match self {
            Cmp::Equals => ord == Ordering::Equal,
            Cmp::LessThan => ord == Ordering::Less,
            Cmp::GreaterThan => ord == Ordering::Greater,
            Cmp::LessThanEquals => ord != Ordering::Greater,
            Cmp::GreaterThanEquals => ord != Ordering::Less,
        }
    }
}

/// The type tests `IsNull`, `IsPresent`, `IsNumeric`, `IsString`, `IsBoolean`, `IsTimestamp`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Test {
    Null,
    Present,
    Numeric,
    String,
    Boolean,
    Timestamp,
}

impl Test {
    const ALL: [Test; 6] = [
        Test::Null,
        Test::Present,
        Test::Numeric,
        Test::String,
        Test::Boolean,
        Test::Timestamp,
    ];

    fn name(self) -> &'static str {
        match self {
            Test::Null => "IsNull",
            Test::Present => "IsPresent",
            Test::Numeric => "IsNumeric",
            Test::String => "IsString",
            Test::Boolean => "IsBoolean",
            Test::Timestamp => "IsTimestamp",
        }
    }

    /// Whether a value that is present has this type. (`Present` is always true.)
    pub fn matches(self, v: &Value) -> bool {
        match self {
            Test::Null => v.is_null(),
            Test::Present => true,
            Test::Numeric => v.is_number(),
            Test::String => v.is_string(),
            Test::Boolean => v.is_boolean(),
            Test::Timestamp => v.as_str().and_then(parse_timestamp).is_some(),
        }
    }
}

/// A comparison operator, without its `...Path` suffix (that lives in the operand).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    String(Cmp),
    Numeric(Cmp),
    Timestamp(Cmp),
    BooleanEquals,
    StringMatches,
    Is(Test),
}

impl Op {
    /// Every operator that takes a literal, and whether it also has a `...Path` form.
    fn all() -> impl Iterator<Item = (Op, bool)> {
        let cmp = Cmp::ALL.into_iter().flat_map(|c| {
            [
                (Op::String(c), true),
                (Op::Numeric(c), true),
                (Op::Timestamp(c), true),
            ]
        });
        let tests = Test::ALL.into_iter().map(|t| (Op::Is(t), false));
        cmp.chain([(Op::BooleanEquals, true), (Op::StringMatches, false)])
            .chain(tests)
    }

    /// Reads an operator key: `(op, is_path_form)`; None for anything else.
    pub fn from_key(key: &str) -> Option<(Op, bool)> {
        Op::all().find_map(|(op, has_path)| {
            let name = op.name();
            let rest = key.strip_prefix(name.as_str())?;
            match rest {
                "" => Some((op, false)),
                "Path" if has_path => Some((op, true)),
                _ => None,
            }
        })
    }

    /// The operator's key without the `Path` suffix, e.g. `NumericLessThan`.
    pub fn name(self) -> String {
        match self {
            Op::String(c) => format!("String{}", c.suffix()),
            Op::Numeric(c) => format!("Numeric{}", c.suffix()),
            Op::Timestamp(c) => format!("Timestamp{}", c.suffix()),
            Op::BooleanEquals => "BooleanEquals".into(),
            Op::StringMatches => "StringMatches".into(),
            Op::Is(t) => t.name().into(),
        }
    }

    /// Compares a present variable value with an operand value read through a
    /// `...Path`. A value of the wrong type on either side gives `false`.
    pub fn compare_values(self, var: &Value, operand: &Value) -> bool {
        match self {
            Op::String(c) => match (var, operand) {
                (Value::String(a), Value::String(b)) => c.holds(cmp_strings(a, b)),
                _ => false,
            },
            Op::Numeric(c) => match (var, operand) {
                (Value::Number(a), Value::Number(b)) => {
                    cmp_numbers(a, b).is_some_and(|o| c.holds(o))
                }
                _ => false,
            },
            Op::Timestamp(c) => match operand.as_str().and_then(parse_timestamp) {
                Some(t) => compare_timestamp(c, var, &t),
                None => false,
            },
            Op::BooleanEquals => match (var, operand) {
                (Value::Bool(a), Value::Bool(b)) => a == b,
                _ => false,
            },
            // No path forms.
            Op::StringMatches | Op::Is(_) => false,
        }
    }
}

/// Timestamp comparison of a variable (false unless it is a timestamp string).
pub fn compare_timestamp(c: Cmp, var: &Value, operand: &DateTime<FixedOffset>) -> bool {
    match var.as_str().and_then(parse_timestamp) {
        Some(t) => c.holds(t.cmp(operand)),
        None => false,
    }
}

/// Orders strings as Java does (`String.compareTo`, UTF-16 code units), which is
/// what AWS uses; it differs from byte order only for characters above U+FFFF.
pub fn cmp_strings(a: &str, b: &str) -> Ordering {
    if a.is_ascii() && b.is_ascii() {
        return a.cmp(b);
    }
    a.encode_utf16().cmp(b.encode_utf16())
}

/// Numeric order: integers compare exactly, otherwise as doubles (so `1 == 1.0`).
/// None only for NaN, which JSON cannot hold.
pub fn cmp_numbers(a: &Number, b: &Number) -> Option<Ordering> {
    fn int(n: &Number) -> Option<i128> {
        n.as_i64()
            .map(i128::from)
            .or_else(|| n.as_u64().map(i128::from))
    }
    match (int(a), int(b)) {
        (Some(x), Some(y)) => Some(x.cmp(&y)),
        _ => a.as_f64()?.partial_cmp(&b.as_f64()?),
    }
}

/// A `StringMatches` pattern: `*` matches any run of characters (also none),
/// `\*` is a literal `*` and `\\` a literal `\`. A backslash before any other
/// character escapes that character; a trailing lone backslash is literal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pattern {
    src: String,
    /// Literal runs between wildcards: `parts.len() == wildcards + 1`.
    parts: Vec<Vec<char>>,
}

impl Pattern {
    pub fn new(src: &str) -> Pattern {
        let mut parts = vec![Vec::new()];
        let mut chars = src.chars();
        while let Some(c) = chars.next() {
            let last = parts.last_mut().expect("parts is never empty");
            match c {
                '\\' => last.push(chars.next().unwrap_or('\\')),
                '*' => parts.push(Vec::new()),
                _ => last.push(c),
            }
        }
        Pattern {
            src: src.to_string(),
            parts,
        }
    }

    pub fn as_str(&self) -> &str {
        &self.src
    }

    /// Whether the whole of `s` matches.
    pub fn matches(&self, s: &str) -> bool {
        let s: Vec<char> = s.chars().collect();
        let n = self.parts.len();
        let first = &self.parts[0];
        if n == 1 {
            return s == *first;
        }
        let last = &self.parts[n - 1];
        if s.len() < first.len() + last.len() || !s.starts_with(first) || !s.ends_with(last) {
            return false;
        }
        // Greedy leftmost search for the middle parts within the remaining window.
        let mut pos = first.len();
        let end = s.len() - last.len();
        for part in &self.parts[1..n - 1] {
            if part.is_empty() {
                continue;
            }
            let window = &s[pos..end];
            match window
                .windows(part.len())
                .position(|w| w == part.as_slice())
            {
                Some(i) => pos += i + part.len(),
                None => return false,
            }
        }
        true
    }
}

/// Parses a timestamp the way AWS Step Functions does for Choice rules
/// (`Timestamp*` operators, `IsTimestamp`) and Wait states (`Timestamp`,
/// `TimestampPath`): an ISO-8601 *extended offset date-time*, as Java's
/// `DateTimeFormatter.ISO_OFFSET_DATE_TIME` reads it (AWS's error text names that
/// format):
///
/// `YYYY-MM-DDThh:mm[:ss[.f]]±hh:mm[:ss]` or `...Z`, where
/// - the year has 4 digits, or a sign and 4 to 10 digits (`+10000-01-01...`);
/// - `T` and `Z` may also be lower case (Java parses case-insensitively);
/// - the fraction has 1 to 9 digits (nanoseconds);
/// - an offset is required: `2016-12-05T21:29:29` is rejected;
/// - fields are range-checked strictly: month 13, hour 24/25, second 60 or
///   February 30 are rejected; offsets are limited to ±18:00.
///
/// Returns None for anything else (no leading or trailing spaces either).
pub fn parse_timestamp(s: &str) -> Option<DateTime<FixedOffset>> {
    let mut p = Cursor {
        b: s.as_bytes(),
        i: 0,
    };
    // Date.
    let year: i32 = match p.peek()? {
        sign @ (b'+' | b'-') => {
            p.i += 1;
            let n = p.digits_between(4, 10)?;
            let y = i32::try_from(n).ok()?;
            if sign == b'-' { -y } else { y }
        }
        _ => i32::try_from(p.digits(4)?).ok()?,
    };
    p.expect(b'-')?;
    let month = p.digits(2)? as u32;
    p.expect(b'-')?;
    let day = p.digits(2)? as u32;
    let date = NaiveDate::from_ymd_opt(year, month, day)?;
    match p.next()? {
        b'T' | b't' => {}
        _ => return None,
    }
    // Time.
    let hour = p.digits(2)? as u32;
    p.expect(b':')?;
    let minute = p.digits(2)? as u32;
    let (mut second, mut nano) = (0, 0);
    if p.peek() == Some(b':') {
        p.i += 1;
        second = p.digits(2)? as u32;
        if p.peek() == Some(b'.') {
            p.i += 1;
            let start = p.i;
            let frac = p.digits_between(1, 9)?;
            let width = (p.i - start) as u32;
            nano = (frac * 10u64.pow(9 - width)) as u32;
        }
    }
    if second > 59 {
        return None;
    }
    let time = NaiveTime::from_hms_nano_opt(hour, minute, second, nano)?;
    // Offset.
    let offset_secs: i32 = match p.next()? {
        b'Z' | b'z' => 0,
        sign @ (b'+' | b'-') => {
            let h = p.digits(2)? as i32;
            p.expect(b':')?;
            let m = p.digits(2)? as i32;
            let mut sec = 0;
            if p.peek() == Some(b':') {
                p.i += 1;
                sec = p.digits(2)? as i32;
            }
            if h > 18 || m > 59 || sec > 59 {
                return None;
            }
            let total = h * 3600 + m * 60 + sec;
            if total > 18 * 3600 {
                return None;
            }
            if sign == b'-' { -total } else { total }
        }
        _ => return None,
    };
    if p.i != p.b.len() {
        return None;
    }
    let offset = FixedOffset::east_opt(offset_secs)?;
    offset.from_local_datetime(&date.and_time(time)).single()
}

struct Cursor<'a> {
    b: &'a [u8],
    i: usize,
}

impl Cursor<'_> {
    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }
    fn next(&mut self) -> Option<u8> {
        let c = self.peek()?;
        self.i += 1;
        Some(c)
    }
    fn expect(&mut self, c: u8) -> Option<()> {
        (self.next()? == c).then_some(())
    }
    /// Exactly `n` ASCII digits.
    fn digits(&mut self, n: usize) -> Option<u64> {
        self.digits_between(n, n)
    }
    /// Between `min` and `max` ASCII digits (greedy); `max` is at most 10.
    fn digits_between(&mut self, min: usize, max: usize) -> Option<u64> {
        let mut v: u64 = 0;
        let start = self.i;
        while self.i - start < max {
            match self.peek() {
                Some(c @ b'0'..=b'9') => {
                    v = v * 10 + u64::from(c - b'0');
                    self.i += 1;
                }
                _ => break,
            }
        }
        if self.i - start < min {
            return None;
        }
        if matches!(self.peek(), Some(b'0'..=b'9')) {
            return None;
        }
        Some(v)
    }
}
