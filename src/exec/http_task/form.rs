//! URL encoding of the HTTP Task: `Transform.RequestBodyEncoding: URL_ENCODED` bodies
//! and `QueryParameters`, with the array formats of `RequestEncodingOptions.ArrayFormat`
//! (AWS's examples for `{"array": ["a", "b"]}`: INDICES `array[0]=a&array[1]=b`,
//! REPEAT `array=a&array=b`, COMMAS `array=a,b`, BRACKETS `array[]=a&array[]=b`).
//! Nested objects become `outer[inner]=value`; keys and values are percent-encoded as
//! `application/x-www-form-urlencoded` expects.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde_json::Value;

/// How arrays are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ArrayFormat {
    /// `array[0]=a&array[1]=b` (the default).
    #[default]
    Indices,
    /// `array=a&array=b`.
    Repeat,
    /// `array=a,b`.
    Commas,
    /// `array[]=a&array[]=b`.
    Brackets,
}

impl ArrayFormat {
    pub fn parse(name: &str) -> Option<ArrayFormat> {
        Some(match name {
            "INDICES" => ArrayFormat::Indices,
            "REPEAT" => ArrayFormat::Repeat,
            "COMMAS" => ArrayFormat::Commas,
            "BRACKETS" => ArrayFormat::Brackets,
            _ => return None,
        })
    }
}

/// What is left as it is: the unreserved characters of RFC 3986.
const KEEP: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

pub fn escape(text: &str) -> String {
    utf8_percent_encode(text, KEEP).to_string()
}

/// The text of a scalar: strings as they are, `null` as nothing.
fn scalar(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// The `(key, value)` pairs of `v` under `prefix` (empty: `v` is the top object).
pub fn pairs(prefix: &str, v: &Value, format: ArrayFormat, out: &mut Vec<(String, String)>) {
    let under = |key: &str| {
        if prefix.is_empty() {
            key.to_string()
        } else {
            format!("{prefix}[{key}]")
        }
    };
    match v {
        Value::Object(m) => {
            for (k, item) in m {
                pairs(&under(k), item, format, out);
            }
        }
        Value::Array(items) => {
            let all_scalar = items.iter().all(|i| !i.is_object() && !i.is_array());
            match format {
                ArrayFormat::Commas if all_scalar => {
                    let joined: Vec<String> = items.iter().map(scalar).collect();
                    out.push((prefix.to_string(), joined.join(",")));
                }
                ArrayFormat::Repeat if all_scalar => {
                    for item in items {
                        pairs(prefix, item, format, out);
                    }
                }
                ArrayFormat::Brackets if all_scalar => {
                    for item in items {
                        pairs(&format!("{prefix}[]"), item, format, out);
                    }
                }
                // Indices, and arrays of objects or arrays in any format (their
                // members need a place each).
                _ => {
                    for (i, item) in items.iter().enumerate() {
                        pairs(&format!("{prefix}[{i}]"), item, format, out);
                    }
                }
            }
        }
        other => out.push((prefix.to_string(), scalar(other))),
    }
}

/// `key=value&…`, percent-encoded.
pub fn encode(v: &Value, format: ArrayFormat) -> String {
    let mut out = Vec::new();
    pairs("", v, format, &mut out);
    join(&out)
}

pub fn join(pairs: &[(String, String)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", escape(k), escape(v)))
        .collect::<Vec<_>>()
        .join("&")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn decoded(v: &Value, f: ArrayFormat) -> String {
        let mut out = Vec::new();
        pairs("", v, f, &mut out);
        out.iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("&")
    }

    #[test]
    fn array_formats_as_aws_documents_them() {
        let body = json!({"array": ["a", "b", "c", "d"]});
        assert_eq!(
            decoded(&body, ArrayFormat::Indices),
            "array[0]=a&array[1]=b&array[2]=c&array[3]=d"
        );
        assert_eq!(
            decoded(&body, ArrayFormat::Repeat),
            "array=a&array=b&array=c&array=d"
        );
        assert_eq!(decoded(&body, ArrayFormat::Commas), "array=a,b,c,d");
        assert_eq!(
            decoded(&body, ArrayFormat::Brackets),
            "array[]=a&array[]=b&array[]=c&array[]=d"
        );
    }

    #[test]
    fn nested_objects_scalars_and_escapes() {
        let body = json!({"user": {"name": "Ada L", "age": 36, "admin": true, "nick": null},
                          "q": "a&b=c", "list": [{"x": 1}]});
        assert_eq!(
            decoded(&body, ArrayFormat::Brackets),
            "user[name]=Ada L&user[age]=36&user[admin]=true&user[nick]=&q=a&b=c&list[0][x]=1"
        );
        assert_eq!(
            encode(&json!({"q": "a&b=c d", "k[]": "ü"}), ArrayFormat::Indices),
            "q=a%26b%3Dc%20d&k%5B%5D=%C3%BC"
        );
    }
}
