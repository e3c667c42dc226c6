//! The call syntax: `States.Name(arg, ...)` where an argument is a string literal in
//! single quotes (escapes `\'`, `\{`, `\}`, `\\`), a number, `true`/`false`/`null`, a
//! path (`$...`) or a nested call.

use super::functions::{self, FORMAT};
use super::{Arg, Call, IntrinsicError};
use crate::asl::path::JsonPath;
use serde_json::Value;

pub(super) fn parse_call(src: &str) -> Result<Call, IntrinsicError> {
    let mut p = Parser { src, pos: 0 };
    p.skip_ws();
    let call = p.call()?;
    p.skip_ws();
    if p.pos < src.len() {
        return Err(p.error("unexpected text after the closing parenthesis"));
    }
    Ok(call)
}

struct Parser<'s> {
    src: &'s str,
    pos: usize,
}

impl Parser<'_> {
    fn rest(&self) -> &str {
        &self.src[self.pos..]
    }

    fn peek(&self) -> Option<char> {
        self.rest().chars().next()
    }

    fn skip_ws(&mut self) {
        let rest = self.rest();
        self.pos += rest.len() - rest.trim_start().len();
    }

    fn error(&self, what: &str) -> IntrinsicError {
        IntrinsicError::new(format!(
            "Invalid intrinsic function '{}': {what} at position {}",
            self.src, self.pos
        ))
    }

    /// `States.Name(args)`; checks the name and the arity.
    fn call(&mut self) -> Result<Call, IntrinsicError> {
        let start = self.pos;
        let len = self
            .rest()
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '.' || c == '_'))
            .unwrap_or(self.rest().len());
        let name = self.src[start..start + len].to_string();
        if !name.starts_with("States.") {
            return Err(self.error("expected a function name starting with 'States.'"));
        }
        let Some((min, max)) = functions::arity(&name) else {
            return Err(IntrinsicError::new(format!(
                "Invalid intrinsic function '{}': unknown function '{name}'",
                self.src
            )));
        };
        self.pos += len;
        self.skip_ws();
        if self.peek() != Some('(') {
            return Err(self.error("expected '(' after the function name"));
        }
        self.pos += 1;
        let mut args = Vec::new();
        self.skip_ws();
        if self.peek() == Some(')') {
            self.pos += 1;
        } else {
            loop {
                self.skip_ws();
                let raw = name == FORMAT && args.is_empty();
                args.push(self.arg(raw)?);
                self.skip_ws();
                match self.peek() {
                    Some(',') => self.pos += 1,
                    Some(')') => {
                        self.pos += 1;
                        break;
                    }
                    Some(_) => return Err(self.error("expected ',' or ')'")),
                    None => return Err(self.error("missing ')'")),
                }
            }
        }
        let n = args.len();
        if n < min || max.is_some_and(|m| n > m) {
            let expected = match max {
                Some(m) if m == min => format!("{min}"),
                Some(m) => format!("{min} to {m}"),
                None => format!("at least {min}"),
            };
            return Err(IntrinsicError::new(format!(
                "Invalid intrinsic function '{}': {name} takes {expected} argument(s), got {n}",
                self.src
            )));
        }
        let call = Call { name, args };
        functions::check_literals(&call).map_err(|m| {
            IntrinsicError::new(format!("Invalid intrinsic function '{}': {m}", self.src))
        })?;
        Ok(call)
    }

    /// One argument; `raw` keeps a string literal's escapes (the Format template).
    fn arg(&mut self, raw: bool) -> Result<Arg, IntrinsicError> {
        match self.peek() {
            None => Err(self.error("missing argument")),
            Some('\'') => self.string(raw).map(|s| Arg::Literal(Value::String(s))),
            Some('$') => self.path(),
            Some(c) if c == '-' || c.is_ascii_digit() => self.number(),
            Some(_) if self.rest().starts_with("States.") => {
                self.call().map(|c| Arg::Call(Box::new(c)))
            }
            Some(_) => {
                for (word, v) in [
                    ("true", Value::Bool(true)),
                    ("false", Value::Bool(false)),
                    ("null", Value::Null),
                ] {
                    if let Some(after) = self.rest().strip_prefix(word)
                        && !after.starts_with(|c: char| {
                            c.is_ascii_alphanumeric() || c == '_' || c == '.'
                        })
                    {
                        self.pos += word.len();
                        return Ok(Arg::Literal(v));
                    }
                }
                Err(self.error("invalid argument"))
            }
        }
    }

    fn string(&mut self, raw: bool) -> Result<String, IntrinsicError> {
        let start = self.pos;
        self.pos += 1;
        let mut out = String::new();
        let mut chars = self.rest().char_indices();
        while let Some((i, c)) = chars.next() {
            match c {
                '\'' => {
                    self.pos += i + 1;
                    return Ok(out);
                }
                '\\' => match chars.next() {
                    Some((_, e)) => {
                        // AWS accepts only these escapes in a string literal.
                        if !matches!(e, '\'' | '{' | '}' | '\\') {
                            self.pos = start;
                            return Err(self.error(&format!("illegal escape sequence '\\{e}' in a string literal (allowed: \\' \\{{ \\}} \\\\)")));
                        }
                        if raw {
                            out.push('\\');
                        }
                        out.push(e);
                    }
                    None => break,
                },
                c => out.push(c),
            }
        }
        self.pos = start;
        Err(self.error("unterminated string literal"))
    }

    fn number(&mut self) -> Result<Arg, IntrinsicError> {
        let len = self
            .rest()
            .find(|c: char| !(c.is_ascii_digit() || matches!(c, '-' | '+' | '.' | 'e' | 'E')))
            .unwrap_or(self.rest().len());
        let text = &self.rest()[..len];
        match serde_json::from_str::<serde_json::Number>(text) {
            Ok(n) => {
                self.pos += len;
                Ok(Arg::Literal(Value::Number(n)))
            }
            Err(_) => Err(self.error(&format!("invalid number '{text}'"))),
        }
    }

    /// A path runs to the next `,` or `)` outside brackets, parentheses and quotes.
    fn path(&mut self) -> Result<Arg, IntrinsicError> {
        let mut depth = 0usize;
        let mut quote: Option<char> = None;
        let mut end = self.rest().len();
        let mut escaped = false;
        for (i, c) in self.rest().char_indices() {
            if let Some(q) = quote {
                if escaped {
                    escaped = false;
                } else if c == '\\' {
                    escaped = true;
                } else if c == q {
                    quote = None;
                }
                continue;
            }
            match c {
                '\'' | '"' => quote = Some(c),
                '[' | '(' => depth += 1,
                ']' if depth > 0 => depth -= 1,
                ')' if depth > 0 => depth -= 1,
                ',' | ')' if depth == 0 => {
                    end = i;
                    break;
                }
                _ => {}
            }
        }
        let text = self.rest()[..end].trim_end();
        match JsonPath::parse(text) {
            Ok(p) => {
                self.pos += end;
                Ok(Arg::Path(p))
            }
            Err(e) => Err(self.error(&format!("invalid path '{text}' ({e})"))),
        }
    }
}
