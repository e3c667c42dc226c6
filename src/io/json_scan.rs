//! A structural scan of JSON text: where a value is inside a document (by object keys)
//! and where each item of an array begins and ends, without building the values.
//!
//! A large execution input whose Map reads one array (`{"items": [ … a million … ]}`)
//! is then parsed as two parts: the document with that array left out (small), and
//! the array's items, a chunk at a time and in parallel, each item by itself (see
//! `exec::map::large_input`). The scan only follows strings (with their escapes) and
//! brackets; it does not check the text: whatever it cuts is parsed by serde_json,
//! which refuses what is not JSON, and a caller that meets a refusal parses the whole
//! text the ordinary way (for the ordinary error).

/// Skips whitespace from `i`.
fn skip_ws(b: &[u8], mut i: usize) -> usize {
    while i < b.len() && matches!(b[i], b' ' | b'\n' | b'\t' | b'\r') {
        i += 1;
    }
    i
}

/// The end (exclusive) of the string that starts at `i` (a `"`).
fn string_end(b: &[u8], i: usize) -> Option<usize> {
    let mut j = i + 1;
    while j < b.len() {
        match b[j] {
            b'\\' => j += 2,
            b'"' => return Some(j + 1),
            _ => j += 1,
        }
    }
    None
}

/// Items nested deeper than this are left to the ordinary parse (serde_json stops at
/// 128 levels counted from the document's top, which a lone item can't see).
const MAX_ITEM_DEPTH: usize = 100;

/// The end (exclusive) of the value that starts at `i` (after whitespace).
fn value_end(b: &[u8], i: usize) -> Option<usize> {
    match *b.get(i)? {
        b'"' => string_end(b, i),
        b'{' | b'[' => {
            let mut depth = 0usize;
            let mut j = i;
            while j < b.len() {
                match b[j] {
                    b'"' => {
                        j = string_end(b, j)?;
                        continue;
                    }
                    b'{' | b'[' => {
                        depth += 1;
                        if depth > MAX_ITEM_DEPTH {
                            return None;
                        }
                    }
                    b'}' | b']' => {
                        depth -= 1;
                        if depth == 0 {
                            return Some(j + 1);
                        }
                    }
                    _ => {}
                }
                j += 1;
            }
            None
        }
        _ => {
            // A number, true, false or null: up to the next delimiter.
            let mut j = i;
            while j < b.len() && !matches!(b[j], b',' | b'}' | b']' | b' ' | b'\n' | b'\t' | b'\r')
            {
                j += 1;
            }
            (j > i).then_some(j)
        }
    }
}

/// The byte range of the value at `keys` (object keys from the top) in `text`: the
/// whole document for no keys. None when a key is missing, a value on the way is not
/// an object, or the scan meets something that is not JSON.
pub fn locate(text: &[u8], keys: &[&str]) -> Option<(usize, usize)> {
    let mut start = skip_ws(text, 0);
    let mut end = value_end(text, start)?;
    for key in keys {
        if text[start] != b'{' {
            return None;
        }
        let mut i = skip_ws(text, start + 1);
        let mut found = None;
        while i < end && text[i] != b'}' {
            let key_end = string_end(text, i).filter(|_| text[i] == b'"')?;
            let raw = &text[i..key_end];
            // Keys with escapes are decoded; the others compared as they are.
            let same = if raw.contains(&b'\\') {
                serde_json::from_slice::<String>(raw).ok()? == *key
            } else {
                &raw[1..raw.len() - 1] == key.as_bytes()
            };
            i = skip_ws(text, key_end);
            if text.get(i) != Some(&b':') {
                return None;
            }
            let v_start = skip_ws(text, i + 1);
            let v_end = value_end(text, v_start)?;
            if same {
                // The last of duplicate keys wins, as serde_json's map keeps it.
                found = Some((v_start, v_end));
            }
            i = skip_ws(text, v_end);
            if text.get(i) == Some(&b',') {
                i = skip_ws(text, i + 1);
            }
        }
        let (s, e) = found?;
        start = s;
        end = e;
    }
    Some((start, end))
}

/// The byte ranges of the items of the array at `start..end` (`[` … `]`), in order.
/// None when the range is not an array the scan can follow.
pub fn array_items(text: &[u8], start: usize, end: usize) -> Option<Vec<(usize, usize)>> {
    if text.get(start) != Some(&b'[') || end < start + 2 || text[end - 1] != b']' {
        return None;
    }
    let mut items = Vec::new();
    let mut i = skip_ws(text, start + 1);
    let close = end - 1;
    while i < close {
        let e = value_end(text, i)?;
        if e > close {
            return None;
        }
        items.push((i, e));
        i = skip_ws(text, e);
        match text.get(i) {
            Some(b',') => {
                i = skip_ws(text, i + 1);
                // `[1,]` is not JSON.
                if i >= close {
                    return None;
                }
            }
            Some(b']') if i == close => {}
            _ => return None,
        }
    }
    Some(items)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::{Value, json};

    fn arb_json() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(|n| json!(n)),
            (-1e9f64..1e9).prop_map(|f| json!(f)),
            "[a-z\"\\\\\\[\\]{},: \u{e9}\u{1F600}]{0,12}".prop_map(Value::String),
        ];
        leaf.prop_recursive(4, 32, 5, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
                prop::collection::vec(("[a-z\"\\\\]{0,6}", inner), 0..5)
                    .prop_map(|kv| Value::Object(kv.into_iter().collect())),
            ]
        })
    }

    proptest! {
        /// Every item range parses to the item, whatever the items hold and however
        /// the text is spaced.
        #[test]
        fn items_cut_where_serde_sees_them(items in prop::collection::vec(arb_json(), 0..8), pretty in any::<bool>()) {
            let doc = json!({"before": {"x": "]"}, "items": items, "after": [1, "}"]});
            let text = if pretty { serde_json::to_string_pretty(&doc).unwrap() } else { doc.to_string() };
            let (s, e) = locate(text.as_bytes(), &["items"]).unwrap();
            let ranges = array_items(text.as_bytes(), s, e).unwrap();
            prop_assert_eq!(ranges.len(), items.len());
            for ((a, b), item) in ranges.iter().zip(&items) {
                let parsed: Value = serde_json::from_slice(&text.as_bytes()[*a..*b]).unwrap();
                prop_assert_eq!(&parsed, item);
            }
            // The document without the array, and the array, give the document back.
            let skeleton = [&text.as_bytes()[..s], b"[]", &text.as_bytes()[e..]].concat();
            let mut back: Value = serde_json::from_slice(&skeleton).unwrap();
            back["items"] = Value::Array(items.clone());
            prop_assert_eq!(back, doc);
        }
    }

    #[test]
    fn keys_with_escapes_nesting_and_duplicates() {
        let text = br#" { "a\"b" : 1, "x": {"y": [1, 2]}, "x": {"y": [3]} } "#;
        assert_eq!(
            locate(text, &["a\"b"]).map(|(s, e)| &text[s..e]),
            Some(&b"1"[..])
        );
        let (s, e) = locate(text, &["x", "y"]).unwrap();
        assert_eq!(&text[s..e], b"[3]");
        assert_eq!(locate(text, &["missing"]), None);
        assert_eq!(locate(b"[1]", &["a"]), None);
        assert_eq!(array_items(b"[]", 0, 2), Some(vec![]));
        assert_eq!(array_items(b"[1 2]", 0, 5), None);
        assert_eq!(array_items(b"[1,]", 0, 4), None);
        let deep = format!("[{}{}]", "[".repeat(150), "]".repeat(150));
        assert_eq!(array_items(deep.as_bytes(), 0, deep.len()), None);
        assert_eq!(locate(br#"{"a": "unterminated"#, &["a"]), None);
    }
}
