//! Text parsing: JSON first, YAML for SAM/Serverless style definitions, syntax errors
//! with line and column, and duplicate JSON object keys (which `serde_json` silently
//! merges).

use super::{Diagnostic, child, index};
use serde_json::Value;
use std::collections::HashSet;

fn diag(code: &'static str, message: String) -> Diagnostic {
    Diagnostic {
        pointer: String::new(),
        state: None,
        code,
        message,
    }
}

/// Skips whitespace and `//`, `/* */`, `#` comments; returns the first significant char.
fn first_significant(text: &str) -> Option<char> {
    let mut rest = text.trim_start_matches('\u{feff}');
    loop {
        rest = rest.trim_start();
        if let Some(r) = rest.strip_prefix("//").or_else(|| rest.strip_prefix('#')) {
            rest = r.split_once('\n').map(|(_, t)| t).unwrap_or("");
        } else if let Some(r) = rest.strip_prefix("/*") {
            rest = r.split_once("*/").map(|(_, t)| t).unwrap_or("");
        } else {
            return rest.chars().next();
        }
    }
}

/// Parses the text; on success also returns duplicate-key diagnostics.
pub(super) fn parse(text: &str) -> Result<(Value, Vec<Diagnostic>), Diagnostic> {
    let body = text.trim_start_matches('\u{feff}');
    if matches!(first_significant(body), Some('{' | '[')) {
        match serde_json::from_str::<Value>(body) {
            Ok(v) => {
                let dups = duplicate_keys(body);
                Ok((v, dups))
            }
            Err(je) => match from_yaml(body) {
                Ok(v @ Value::Object(_)) => Ok((v, Vec::new())),
                _ => Err(diag(
                    "json-syntax",
                    format!(
                        "invalid JSON at line {}, column {}: {}",
                        je.line(),
                        je.column(),
                        strip_position(&je.to_string())
                    ),
                )),
            },
        }
    } else {
        match from_yaml(body) {
            Ok(v) => Ok((v, Vec::new())),
            Err(ye) => {
                let plain = ye.without_snippet();
                let msg = match plain.location() {
                    Some(l) => format!(
                        "invalid YAML at line {}, column {}: {}",
                        l.line(),
                        l.column(),
                        strip_position(&plain.to_string())
                    ),
                    None => format!("invalid JSON or YAML: {plain}"),
                };
                Err(diag("yaml-syntax", msg))
            }
        }
    }
}

/// YAML 1.2 (SAM and Serverless definitions) through serde-saphyr: a pure-Rust parser
/// that passes the YAML test suite, refuses duplicate keys, and bounds the work an
/// input can cause (anchors, nesting). As with serde_yaml 0.9 (YAML 1.2's core schema),
/// numbers with leading zeros or underscores stay strings (`0755`, `1_000`), and so do
/// YAML 1.1's `yes`/`no`/`on`/`off`: only `true` and `false` are booleans.
fn from_yaml(body: &str) -> Result<Value, serde_saphyr::Error> {
    let options = serde_saphyr::options! {
        leading_zero_numbers_as_strings: true,
        underscored_numbers_as_strings: true,
        strict_booleans: true,
    };
    serde_saphyr::from_str_with_options(body, options)
}

fn strip_position(s: &str) -> &str {
    match s.rfind(" at line ") {
        Some(i) => &s[..i],
        None => s,
    }
}

enum Frame {
    Object {
        ptr: String,
        keys: HashSet<String>,
        pending: Option<String>,
    },
    Array {
        ptr: String,
        next: usize,
    },
}

/// Scans (already valid) JSON text for objects with repeated keys. Iterative, so any
/// depth is fine.
fn duplicate_keys(text: &str) -> Vec<Diagnostic> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut stack: Vec<Frame> = Vec::new();
    let mut i = 0;
    // Pointer for a value about to start, given the top frame.
    fn value_ptr(stack: &mut [Frame]) -> String {
        match stack.last_mut() {
            None => String::new(),
            Some(Frame::Object { ptr, pending, .. }) => {
                child(ptr, pending.as_deref().unwrap_or(""))
            }
            Some(Frame::Array { ptr, next }) => {
                let p = index(ptr, *next);
                *next += 1;
                p
            }
        }
    }
    let mut expect_key = false;
    while i < b.len() {
        let c = b[i];
        match c {
            b'{' => {
                let ptr = value_ptr(&mut stack);
                stack.push(Frame::Object {
                    ptr,
                    keys: HashSet::new(),
                    pending: None,
                });
                expect_key = true;
                i += 1;
            }
            b'[' => {
                let ptr = value_ptr(&mut stack);
                stack.push(Frame::Array { ptr, next: 0 });
                expect_key = false;
                i += 1;
            }
            b'}' | b']' => {
                stack.pop();
                expect_key = false;
                i += 1;
            }
            b',' => {
                expect_key = matches!(stack.last(), Some(Frame::Object { .. }));
                i += 1;
            }
            b'"' => {
                let start = i;
                i += 1;
                while i < b.len() && b[i] != b'"' {
                    if b[i] == b'\\' {
                        i += 1;
                    }
                    i += 1;
                }
                i += 1;
                let raw = &text[start..i.min(b.len())];
                if expect_key {
                    let key: String = serde_json::from_str(raw).unwrap_or_default();
                    if let Some(Frame::Object { ptr, keys, pending }) = stack.last_mut() {
                        if !keys.insert(key.clone()) {
                            let is_states = ptr.ends_with("/States") || ptr == "/States";
                            let (code, what) = if is_states {
                                ("duplicate-state-name", "state name")
                            } else {
                                ("duplicate-key", "key")
                            };
                            out.push(Diagnostic {
                                pointer: child(ptr, &key),
                                state: if is_states { Some(key.clone()) } else { None },
                                code,
                                message: format!(
                                    "duplicate {what} '{key}': a JSON object may not repeat a key (the later value silently replaces the earlier one)"
                                ),
                            });
                        }
                        *pending = Some(key);
                    }
                    expect_key = false;
                } else {
                    let _ = value_ptr(&mut stack);
                }
            }
            b':' => i += 1,
            c if c.is_ascii_whitespace() => i += 1,
            _ => {
                // number, true, false, null
                let _ = value_ptr(&mut stack);
                while i < b.len()
                    && !matches!(b[i], b',' | b'}' | b']')
                    && !b[i].is_ascii_whitespace()
                {
                    i += 1;
                }
            }
        }
    }
    out
}
