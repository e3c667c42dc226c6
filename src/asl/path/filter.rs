//! Filter expressions `[?(...)]`: their parser and their evaluation, with the
//! comparison rules of Jayway JsonPath.

use super::PathError;
use super::eval::select_segs;
use super::parse::{MAX_NESTING, Parser, Segment, is_ws};
use serde_json::{Number, Value};
use std::borrow::Cow;
use std::cmp::Ordering;

/// A filter expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    /// `a || b || ...` (kept flat so that long chains do not nest).
    Or(Vec<Expr>),
    /// `a && b && ...`
    And(Vec<Expr>),
    Not(Box<Expr>),
    /// A lone path: true when it matches something.
    Exists(Operand),
    Compare(Operand, CmpOp, Operand),
}

/// A side of a comparison.
#[derive(Debug, Clone, PartialEq)]
pub enum Operand {
    /// `@...` (the item under test) or, with `from_root`, `$...` (the document).
    Path {
        from_root: bool,
        segs: Vec<Segment>,
    },
    Literal(Value),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmpOp {
    Eq,
    Ne,
    /// `===`: equal and of the same type.
    StrictEq,
    /// `!==`
    StrictNe,
    Lt,
    Le,
    Gt,
    Ge,
}

/// How deeply `(` and `!` may nest inside one filter.
const MAX_EXPR_DEPTH: usize = 32;

/// Parses the text between `[?(` and `)]`; `p.end` is the closing parenthesis.
pub(crate) fn parse_filter(p: &mut Parser<'_>) -> Result<Expr, PathError> {
    let e = or_expr(p, 0)?;
    p.skip_ws();
    if p.peek().is_some() {
        return Err(p.err("unexpected text in filter"));
    }
    Ok(e)
}

fn starts_with(p: &Parser<'_>, s: &[u8]) -> bool {
    p.pos + s.len() <= p.end && &p.b[p.pos..p.pos + s.len()] == s
}

fn or_expr(p: &mut Parser<'_>, depth: usize) -> Result<Expr, PathError> {
    let mut terms = vec![and_expr(p, depth)?];
    loop {
        p.skip_ws();
        if !starts_with(p, b"||") {
            break;
        }
        p.pos += 2;
        terms.push(and_expr(p, depth)?);
    }
    Ok(if terms.len() == 1 {
        terms.swap_remove(0)
    } else {
        Expr::Or(terms)
    })
}

fn and_expr(p: &mut Parser<'_>, depth: usize) -> Result<Expr, PathError> {
    let mut terms = vec![unary(p, depth)?];
    loop {
        p.skip_ws();
        if !starts_with(p, b"&&") {
            break;
        }
        p.pos += 2;
        terms.push(unary(p, depth)?);
    }
    Ok(if terms.len() == 1 {
        terms.swap_remove(0)
    } else {
        Expr::And(terms)
    })
}

fn unary(p: &mut Parser<'_>, depth: usize) -> Result<Expr, PathError> {
    if depth >= MAX_EXPR_DEPTH {
        return Err(p.err("filter nested too deeply"));
    }
    p.skip_ws();
    match p.peek() {
        Some(b'!') if !starts_with(p, b"!=") => {
            p.pos += 1;
            Ok(Expr::Not(Box::new(unary(p, depth + 1)?)))
        }
        Some(b'(') => {
            p.pos += 1;
            let e = or_expr(p, depth + 1)?;
            p.skip_ws();
            if p.peek() != Some(b')') {
                return Err(p.err("expected ')'"));
            }
            p.pos += 1;
            Ok(e)
        }
        _ => relation(p),
    }
}

fn relation(p: &mut Parser<'_>) -> Result<Expr, PathError> {
    let left = operand(p)?;
    p.skip_ws();
    let ops: [(&[u8], Option<CmpOp>); 9] = [
        (b"===", Some(CmpOp::StrictEq)),
        (b"!==", Some(CmpOp::StrictNe)),
        (b"==", Some(CmpOp::Eq)),
        (b"!=", Some(CmpOp::Ne)),
        (b"<=", Some(CmpOp::Le)),
        (b">=", Some(CmpOp::Ge)),
        (b"=~", None),
        (b"<", Some(CmpOp::Lt)),
        (b">", Some(CmpOp::Gt)),
    ];
    for (text, op) in ops {
        if starts_with(p, text) {
            let Some(op) = op else {
                return Err(p.err("regular expressions (=~) are not supported"));
            };
            p.pos += text.len();
            let right = operand(p)?;
            return Ok(Expr::Compare(left, op, right));
        }
    }
    if p.peek().is_some_and(|c| c.is_ascii_alphabetic()) {
        return Err(p.err("unsupported filter operator"));
    }
    match left {
        Operand::Path { .. } => Ok(Expr::Exists(left)),
        Operand::Literal(_) => Err(p.err("expected a comparison operator")),
    }
}

fn operand(p: &mut Parser<'_>) -> Result<Operand, PathError> {
    p.skip_ws();
    match p.peek() {
        Some(c @ (b'@' | b'$')) => {
            let start = p.pos;
            let mut i = start + 1;
            while i < p.end {
                let c = p.b[i];
                if c == b'[' {
                    match p.closing_bracket(i) {
                        Some(close) => i = close + 1,
                        None => {
                            p.pos = i;
                            return Err(p.err("unclosed '[' in filter"));
                        }
                    }
                    continue;
                }
                if is_ws(c) || matches!(c, b')' | b'<' | b'>' | b'=' | b'!' | b'~' | b'&' | b'|') {
                    break;
                }
                i += 1;
            }
            let mut sub = Parser {
                src: p.src,
                b: p.b,
                pos: start + 1,
                end: i,
                depth: p.depth,
            };
            if sub.depth > MAX_NESTING {
                return Err(p.err("filters nested too deeply"));
            }
            let segs = sub.segments()?;
            p.pos = i;
            Ok(Operand::Path {
                from_root: c == b'$',
                segs,
            })
        }
        Some(q @ (b'\'' | b'"')) => {
            string_literal(p, q).map(|s| Operand::Literal(Value::String(s)))
        }
        Some(b'-' | b'0'..=b'9') => {
            let start = p.pos;
            while p.peek().is_some_and(|c| {
                c.is_ascii_digit() || matches!(c, b'-' | b'+' | b'.' | b'e' | b'E')
            }) {
                p.pos += 1;
            }
            let text = &p.src[start..p.pos];
            let n = if let Ok(i) = text.parse::<i64>() {
                Some(Number::from(i))
            } else {
                text.parse::<f64>().ok().and_then(Number::from_f64)
            };
            n.map(|n| Operand::Literal(Value::Number(n)))
                .ok_or_else(|| p.err("invalid number"))
        }
        Some(c) if c.is_ascii_alphabetic() => {
            let start = p.pos;
            while p.peek().is_some_and(|c| c.is_ascii_alphanumeric()) {
                p.pos += 1;
            }
            match &p.src[start..p.pos] {
                "true" => Ok(Operand::Literal(Value::Bool(true))),
                "false" => Ok(Operand::Literal(Value::Bool(false))),
                "null" => Ok(Operand::Literal(Value::Null)),
                word => {
                    // Jayway JsonPath (AWS's) reads an unquoted word as a number and
                    // fails ("Failed to parse filter"): Step Functions refuses the path.
                    let word = word.to_string();
                    p.pos = start;
                    Err(p.err(&format!(
                        "the unquoted word '{word}' in a filter is not a value (AWS refuses it); quote a string: '{word}'"
                    )))
                }
            }
        }
        _ => Err(p.err("expected a path, string, number, true, false or null")),
    }
}

fn string_literal(p: &mut Parser<'_>, q: u8) -> Result<String, PathError> {
    p.pos += 1;
    let start = p.pos;
    let mut out = String::new();
    let mut chars = p.src[start..p.end].char_indices();
    while let Some((i, c)) = chars.next() {
        if c as u32 == q as u32 {
            p.pos = start + i + 1;
            return Ok(out);
        }
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some((_, 'b')) => out.push('\u{8}'),
            Some((_, 'f')) => out.push('\u{c}'),
            Some((_, 'n')) => out.push('\n'),
            Some((_, 'r')) => out.push('\r'),
            Some((_, 't')) => out.push('\t'),
            Some((_, 'u')) => {
                let hex: String = chars.by_ref().take(4).map(|(_, c)| c).collect();
                match u32::from_str_radix(&hex, 16).ok().and_then(char::from_u32) {
                    Some(ch) if hex.len() == 4 => out.push(ch),
                    _ => return Err(p.err("invalid \\u escape in filter string")),
                }
            }
            Some((_, other)) => out.push(other),
            None => break,
        }
    }
    p.pos = p.end;
    Err(p.err("unclosed string in filter"))
}

/// True when `cur` passes the filter; `root` is the document `$` refers to.
pub(crate) fn accept(e: &Expr, cur: &Value, root: &Value) -> bool {
    match e {
        Expr::Or(terms) => terms.iter().any(|t| accept(t, cur, root)),
        Expr::And(terms) => terms.iter().all(|t| accept(t, cur, root)),
        Expr::Not(a) => !accept(a, cur, root),
        Expr::Exists(op) => match value(op, cur, root) {
            None => false,
            Some(v) => match op {
                Operand::Path { segs, .. } if !super::eval::is_jayway_definite(segs) => {
                    v.as_array().is_some_and(|a| !a.is_empty())
                }
                _ => true,
            },
        },
        Expr::Compare(l, op, r) => {
            let (Some(l), Some(r)) = (value(l, cur, root), value(r, cur, root)) else {
                // An undefined side equals nothing.
                return matches!(op, CmpOp::Ne | CmpOp::StrictNe);
            };
            compare(&l, *op, &r)
        }
    }
}

fn value<'v>(op: &'v Operand, cur: &'v Value, root: &'v Value) -> Option<Cow<'v, Value>> {
    match op {
        Operand::Literal(v) => Some(Cow::Borrowed(v)),
        Operand::Path { from_root, segs } => {
            select_segs(segs, if *from_root { root } else { cur }, root)
        }
    }
}

/// Jayway's rules: `==` between a number (left) and a string (right) reads the string
/// as a number; between a string (left) and a number (right) prints the number;
/// `<`, `<=`, `>`, `>=` compare only two numbers or two strings.
pub(crate) fn compare(l: &Value, op: CmpOp, r: &Value) -> bool {
    match op {
        CmpOp::Eq => equals(l, r),
        CmpOp::Ne => !equals(l, r),
        CmpOp::StrictEq => same_type(l, r) && equals(l, r),
        CmpOp::StrictNe => !(same_type(l, r) && equals(l, r)),
        CmpOp::Lt | CmpOp::Le | CmpOp::Gt | CmpOp::Ge => {
            let ord = match (l, r) {
                (Value::Number(a), Value::Number(b)) => num_cmp(a, b),
                (Value::String(a), Value::String(b)) => {
                    Some(a.encode_utf16().cmp(b.encode_utf16()))
                }
                _ => None,
            };
            match ord {
                None => false,
                Some(o) => match op {
                    CmpOp::Lt => o == Ordering::Less,
                    CmpOp::Le => o != Ordering::Greater,
                    CmpOp::Gt => o == Ordering::Greater,
                    _ => o != Ordering::Less,
                },
            }
        }
    }
}

fn same_type(l: &Value, r: &Value) -> bool {
    std::mem::discriminant(l) == std::mem::discriminant(r)
}

fn equals(l: &Value, r: &Value) -> bool {
    match (l, r) {
        (Value::Number(a), Value::Number(b)) => num_cmp(a, b) == Some(Ordering::Equal),
        (Value::Number(a), Value::String(s)) => match (decimal(s), a.as_f64()) {
            (Some(x), Some(y)) => x == y,
            _ => false,
        },
        (Value::String(s), Value::Number(n)) => *s == n.to_string(),
        (Value::String(a), Value::String(b)) => a == b,
        (Value::Bool(a), Value::Bool(b)) => a == b,
        (Value::Null, Value::Null) => true,
        (Value::Array(_) | Value::Object(_), Value::Array(_) | Value::Object(_)) => l == r,
        _ => false,
    }
}

/// A string read the way Java's `BigDecimal(String)` would (no infinities or NaN).
fn decimal(s: &str) -> Option<f64> {
    let ok = !s.is_empty()
        && s.bytes()
            .all(|c| c.is_ascii_digit() || matches!(c, b'+' | b'-' | b'.' | b'e' | b'E'));
    if ok { s.parse::<f64>().ok() } else { None }
}

pub(crate) fn num_cmp(a: &Number, b: &Number) -> Option<Ordering> {
    if let (Some(x), Some(y)) = (a.as_i64(), b.as_i64()) {
        return Some(x.cmp(&y));
    }
    if let (Some(x), Some(y)) = (a.as_u64(), b.as_u64()) {
        return Some(x.cmp(&y));
    }
    a.as_f64()?.partial_cmp(&b.as_f64()?)
}
