//! The path compiler: turns the text of a path, filter expressions `[?(...)]` included,
//! into a list of segments, following the grammar of Jayway JsonPath (the library AWS
//! Step Functions uses).

use super::PathError;
use super::PathRoot;
use serde_json::{Number, Value};

/// One step of a path.
#[derive(Debug, Clone, PartialEq)]
pub enum Segment {
    /// `.name` or `['name']`.
    Name(Box<str>),
    /// `['a','b']`: a union of names.
    Names(Vec<Box<str>>),
    /// `[3]` or `[-1]`.
    Index(i32),
    /// `[0,2]`: a union of indices.
    Indices(Vec<i32>),
    /// `[2:]`
    SliceFrom(i32),
    /// `[:2]`
    SliceTo(i32),
    /// `[1:5]`
    SliceBetween(i32, i32),
    /// `.*` or `[*]`.
    Wildcard,
    /// `..`: recursive descent; always followed by another segment.
    Scan,
    /// `[?(...)]`
    Filter(Box<Expr>),
}

/// How deeply filters may nest inside filters (and parentheses inside a filter).
pub(crate) const MAX_NESTING: usize = 16;

pub(crate) struct Parser<'a> {
    pub(crate) src: &'a str,
    pub(crate) b: &'a [u8],
    pub(crate) pos: usize,
    pub(crate) end: usize,
    pub(crate) depth: usize,
}

pub(crate) fn is_ws(c: u8) -> bool {
    c.is_ascii_whitespace()
}

fn is_ident(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}

/// Parses a whole path: root sigil and segments.
pub(crate) fn parse_path(src: &str) -> Result<(PathRoot, Vec<Segment>), PathError> {
    // Jayway JsonPath (what AWS evaluates paths with) trims trailing spaces before it
    // compiles a path (CharacterIndex.skipBlanksAtEnd: spaces only, not tabs or line
    // breaks), so `"$$.Execution.Name "` works on AWS. A leading space fails there.
    let end = src.trim_end_matches(' ').len();
    let mut p = Parser {
        src,
        b: src.as_bytes(),
        pos: 0,
        end,
        depth: 0,
    };
    if p.b.first() != Some(&b'$') {
        return Err(p.err("a path must start with '$'"));
    }
    p.pos = 1;
    let root = if p.peek() == Some(b'$') {
        p.pos = 2;
        PathRoot::Context
    } else if p.peek().is_some_and(is_ident) {
        let start = p.pos;
        while p.peek().is_some_and(is_ident) {
            p.pos += 1;
        }
        PathRoot::Variable(src[start..p.pos].to_string())
    } else {
        PathRoot::Input
    };
    let segs = p.segments()?;
    Ok((root, segs))
}

impl<'a> Parser<'a> {
    pub(crate) fn err(&self, what: &str) -> PathError {
        PathError {
            message: format!(
                "Invalid JSONPath '{}': {} at position {}",
                self.src, what, self.pos
            ),
        }
    }

    pub(crate) fn peek(&self) -> Option<u8> {
        if self.pos < self.end {
            Some(self.b[self.pos])
        } else {
            None
        }
    }

    pub(crate) fn skip_ws(&mut self) {
        while self.peek().is_some_and(is_ws) {
            self.pos += 1;
        }
    }

    /// Index of the next non-whitespace byte at or after `from` (before `end`).
    fn next_significant(&self, from: usize) -> Option<usize> {
        (from..self.end).find(|&i| !is_ws(self.b[i]))
    }

    /// Parses segments up to `end`.
    pub(crate) fn segments(&mut self) -> Result<Vec<Segment>, PathError> {
        let mut segs = Vec::new();
        while let Some(c) = self.peek() {
            match c {
                b'.' => {
                    if self.b.get(self.pos + 1) == Some(&b'.') && self.pos + 1 < self.end {
                        segs.push(Segment::Scan);
                        self.pos += 2;
                    } else {
                        self.pos += 1;
                    }
                    match self.peek() {
                        None => return Err(self.err("a path must not end with '.' or '..'")),
                        Some(b'.') => return Err(self.err("unexpected '.'")),
                        Some(b'[') => segs.push(self.bracket()?),
                        Some(b'*') => {
                            self.pos += 1;
                            segs.push(Segment::Wildcard);
                        }
                        Some(_) => segs.push(self.dot_name()?),
                    }
                }
                b'[' => segs.push(self.bracket()?),
                _ => return Err(self.err("expected '.' or '['")),
            }
        }
        Ok(segs)
    }

    fn dot_name(&mut self) -> Result<Segment, PathError> {
        let start = self.pos;
        while let Some(c) = self.peek() {
            match c {
                b'.' | b'[' => break,
                b'(' => return Err(self.err("functions are not supported")),
                c if is_ws(c) => {
                    return Err(self.err("use bracket notation ['my prop'] for names with blanks"));
                }
                _ => self.pos += 1,
            }
        }
        Ok(Segment::Name(self.src[start..self.pos].into()))
    }

    /// At `[`: a quoted name list, an index list or slice, a wildcard or a filter.
    fn bracket(&mut self) -> Result<Segment, PathError> {
        let open = self.pos;
        let Some(first) = self.next_significant(open + 1) else {
            return Err(self.err("unclosed '['"));
        };
        match self.b[first] {
            b'\'' | b'"' => self.quoted_names(first),
            b'*' => {
                self.pos = first + 1;
                self.skip_ws();
                if self.peek() != Some(b']') {
                    return Err(self.err("expected ']' after '*'"));
                }
                self.pos += 1;
                Ok(Segment::Wildcard)
            }
            b'?' => self.filter(first + 1),
            b'0'..=b'9' | b'-' | b':' => self.array(open),
            _ => {
                self.pos = first;
                Err(self.err("expected ', \", 0-9, -, :, * or ? after '['"))
            }
        }
    }

    fn quoted_names(&mut self, first: usize) -> Result<Segment, PathError> {
        let mut names: Vec<Box<str>> = Vec::new();
        let mut i = first;
        loop {
            // i is at an opening quote.
            let delim = self.b[i];
            let start = i + 1;
            let mut j = start;
            let mut escape = false;
            loop {
                if j >= self.end {
                    self.pos = j;
                    return Err(self.err("name is not closed: missing closing quote"));
                }
                let c = self.b[j];
                if escape {
                    escape = false;
                } else if c == b'\\' {
                    escape = true;
                } else if c == delim {
                    break;
                }
                j += 1;
            }
            // AWS keeps the text between the quotes as written (no unescaping).
            names.push(self.src[start..j].into());
            let Some(k) = self.next_significant(j + 1) else {
                self.pos = self.end;
                return Err(self.err("name is not closed: missing ']'"));
            };
            match self.b[k] {
                b']' => {
                    self.pos = k + 1;
                    break;
                }
                b',' => match self.next_significant(k + 1) {
                    Some(q) if matches!(self.b[q], b'\'' | b'"') => i = q,
                    _ => {
                        self.pos = k + 1;
                        return Err(self.err("expected a quoted name after ','"));
                    }
                },
                _ => {
                    self.pos = k;
                    return Err(self.err("expected ',' or ']'"));
                }
            }
        }
        if names.len() == 1 {
            names
                .pop()
                .map(Segment::Name)
                .ok_or_else(|| self.err("empty name list"))
        } else {
            Ok(Segment::Names(names))
        }
    }

    fn array(&mut self, open: usize) -> Result<Segment, PathError> {
        let Some(close) = (open + 1..self.end).find(|&i| self.b[i] == b']') else {
            self.pos = open;
            return Err(self.err("unclosed '['"));
        };
        let expr = self.src[open + 1..close].trim();
        self.pos = open + 1;
        if !expr
            .bytes()
            .all(|c| c.is_ascii_digit() || matches!(c, b',' | b'-' | b':' | b' '))
        {
            return Err(self.err("invalid array index or slice"));
        }
        let seg = if expr.contains(':') {
            if expr.contains([' ', ',']) {
                return Err(self.err("invalid slice"));
            }
            // Like Java's split(":"): a missing or empty part is absent; parts after the
            // second are ignored.
            let mut parts = expr.split(':');
            let from = self.opt_int(parts.next())?;
            let to = self.opt_int(parts.next())?;
            match (from, to) {
                (Some(f), None) => Segment::SliceFrom(f),
                (Some(f), Some(t)) => Segment::SliceBetween(f, t),
                (None, Some(t)) => Segment::SliceTo(t),
                (None, None) => return Err(self.err("invalid slice")),
            }
        } else {
            let mut idx = Vec::new();
            for part in expr.split(',') {
                idx.push(self.int(part.trim())?);
            }
            if idx.len() == 1 {
                Segment::Index(idx[0])
            } else {
                Segment::Indices(idx)
            }
        };
        self.pos = close + 1;
        Ok(seg)
    }

    fn opt_int(&self, s: Option<&str>) -> Result<Option<i32>, PathError> {
        match s {
            None | Some("") => Ok(None),
            Some(s) => self.int(s).map(Some),
        }
    }

    fn int(&self, s: &str) -> Result<i32, PathError> {
        if s.starts_with('+') {
            return Err(self.err("invalid array index"));
        }
        s.parse::<i32>()
            .map_err(|_| self.err("invalid array index"))
    }

    /// `at` is just after the `?`.
    fn filter(&mut self, at: usize) -> Result<Segment, PathError> {
        self.pos = at;
        self.skip_ws();
        if self.peek() != Some(b'(') {
            return Err(self.err("expected '(' after '[?'"));
        }
        let open = self.pos;
        let close = self.closing_paren(open)?;
        if self.depth >= MAX_NESTING {
            return Err(self.err("filters nested too deeply"));
        }
        let mut inner = Parser {
            src: self.src,
            b: self.b,
            pos: open + 1,
            end: close,
            depth: self.depth + 1,
        };
        let expr = parse_filter(&mut inner)?;
        self.pos = close + 1;
        self.skip_ws();
        if self.peek() != Some(b']') {
            return Err(self.err("expected ']' after filter"));
        }
        self.pos += 1;
        Ok(Segment::Filter(Box::new(expr)))
    }

    /// The `)` matching the `(` at `open`, skipping quoted strings.
    pub(crate) fn closing_paren(&mut self, open: usize) -> Result<usize, PathError> {
        let mut depth = 0usize;
        let mut i = open;
        let mut quote: Option<u8> = None;
        while i < self.end {
            let c = self.b[i];
            if let Some(q) = quote {
                if c == b'\\' {
                    i += 1;
                } else if c == q {
                    quote = None;
                }
            } else {
                match c {
                    b'\'' | b'"' => quote = Some(c),
                    b'(' => depth += 1,
                    b')' => {
                        depth = depth.saturating_sub(1);
                        if depth == 0 {
                            return Ok(i);
                        }
                    }
                    _ => {}
                }
            }
            i += 1;
        }
        self.pos = open;
        Err(self.err("unbalanced parentheses in filter"))
    }

    /// The `]` matching the `[` at `open`, skipping quoted strings.
    pub(crate) fn closing_bracket(&self, open: usize) -> Option<usize> {
        let mut depth = 0usize;
        let mut i = open;
        let mut quote: Option<u8> = None;
        while i < self.end {
            let c = self.b[i];
            if let Some(q) = quote {
                if c == b'\\' {
                    i += 1;
                } else if c == q {
                    quote = None;
                }
            } else {
                match c {
                    b'\'' | b'"' => quote = Some(c),
                    b'[' => depth += 1,
                    b']' => {
                        depth = depth.saturating_sub(1);
                        if depth == 0 {
                            return Some(i);
                        }
                    }
                    _ => {}
                }
            }
            i += 1;
        }
        None
    }
}

// ---- filter expressions `[?(...)]` ----

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
