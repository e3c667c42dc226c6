//! JSON text to a value as AWS (Jackson) reads it, for `States.StringToJson`.

use serde_json::Value;

/// `States.StringToJson`: blank text is `null`.
pub(super) fn parse(s: &str) -> Result<Value, serde_json::Error> {
    let text = s.trim();
    if text.is_empty() {
        return Ok(Value::Null);
    }
    serde_json::from_str(&integer_negative_zero(text))
}

/// Jackson reads `-0` as the integer 0 while serde_json reads it as the float -0.0:
/// drops the sign of every integer literal `-0` outside strings.
fn integer_negative_zero(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.contains("-0") {
        return text.into();
    }
    let b = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let (mut in_str, mut esc) = (false, false);
    for (i, c) in text.char_indices() {
        if in_str {
            if esc {
                esc = false;
            } else if c == '\\' {
                esc = true;
            } else if c == '"' {
                in_str = false;
            }
        } else if c == '"' {
            in_str = true;
        } else if c == '-'
            && b.get(i + 1) == Some(&b'0')
            && !matches!(b.get(i + 2), Some(b'.' | b'e' | b'E' | b'0'..=b'9'))
        {
            continue;
        }
        out.push(c);
    }
    out.into()
}
