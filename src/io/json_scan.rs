//! A structural scan of JSON text: where an array is inside a document (by object keys)
//! and where each of its items begins and ends, in one pass, without building values.
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

/// The bytes a scan inside an array or object stops at: a string or a bracket.
const STRUCTURAL: [bool; 256] = {
    let mut t = [false; 256];
    t[b'"' as usize] = true;
    t[b'{' as usize] = true;
    t[b'[' as usize] = true;
    t[b'}' as usize] = true;
    t[b']' as usize] = true;
    t
};

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
            loop {
                j += b.get(j..)?.iter().position(|c| STRUCTURAL[*c as usize])?;
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

/// An array found in a document: its byte range (`[` … `]`) and each item's, in order.
pub type FoundArray = ((usize, usize), Vec<(usize, usize)>);

/// The array at `keys` (object keys from the top; the whole document for no keys) in
/// `text`, with its items' byte ranges, in one pass over it. None when a key is
/// missing, a value on the way is not an object, the value is not an array, or the
/// scan meets something that is not JSON.
pub fn locate_array(text: &[u8], keys: &[&str]) -> Option<FoundArray> {
    let mut start = skip_ws(text, 0);
    let Some((last, path)) = keys.split_last() else {
        return array_scan(text, start);
    };
    for key in path {
        let (s, _) = member(text, start, key, false)?;
        start = s;
    }
    let (_, found) = member(text, start, last, true)?;
    found
}

/// The value of `key` in the object at `start`: its start, and when `array`, the
/// array found there (None if it is not one). The last of duplicate keys wins, as
/// serde_json's map keeps it. None when the key is missing or this is not an object.
fn member(
    text: &[u8],
    start: usize,
    key: &str,
    array: bool,
) -> Option<(usize, Option<FoundArray>)> {
    if text.get(start) != Some(&b'{') {
        return None;
    }
    let mut i = skip_ws(text, start + 1);
    let mut found = None;
    while *text.get(i)? != b'}' {
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
        let v_end = if same && array {
            // The array's items are found as it is passed over.
            let items = array_scan(text, v_start);
            let end = match &items {
                Some(((_, end), _)) => *end,
                None => value_end(text, v_start)?,
            };
            found = Some((v_start, items));
            end
        } else {
            let end = value_end(text, v_start)?;
            if same {
                found = Some((v_start, None));
            }
            end
        };
        i = skip_ws(text, v_end);
        if text.get(i) == Some(&b',') {
            i = skip_ws(text, i + 1);
        }
    }
    found
}

/// The array at `start`: its range and its items' ranges. None when it is not an
/// array the scan can follow (or not one).
fn array_scan(text: &[u8], start: usize) -> Option<FoundArray> {
    if text.get(start) != Some(&b'[') {
        return None;
    }
    let mut items = Vec::new();
    let mut i = skip_ws(text, start + 1);
    if text.get(i) == Some(&b']') {
        return Some(((start, i + 1), items));
    }
    loop {
        let e = value_end(text, i)?;
        items.push((i, e));
        i = skip_ws(text, e);
        match text.get(i)? {
            b',' => {
                i = skip_ws(text, i + 1);
                // `[1,]` is not JSON.
                if text.get(i) == Some(&b']') {
                    return None;
                }
            }
            b']' => return Some(((start, i + 1), items)),
            _ => return None,
        }
    }
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
            let ((s, e), ranges) = locate_array(text.as_bytes(), &["items"]).unwrap();
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
        let text = br#" { "a\"b" : [1], "x": {"y": [1, 2]}, "x": {"y": [3]}, "z": 1 } "#;
        let found = |keys: &[&str]| {
            locate_array(text, keys).map(|((s, e), items)| {
                let items: Vec<&[u8]> = items.iter().map(|&(a, b)| &text[a..b]).collect();
                (&text[s..e], items)
            })
        };
        assert_eq!(found(&["a\"b"]), Some((&b"[1]"[..], vec![&b"1"[..]])));
        assert_eq!(found(&["x", "y"]), Some((&b"[3]"[..], vec![&b"3"[..]])));
        assert_eq!(found(&["missing"]), None);
        assert_eq!(found(&["z"]), None, "not an array");
        assert_eq!(locate_array(b"[1]", &["a"]), None);
        assert_eq!(locate_array(b" [] ", &[]), Some(((1, 3), vec![])));
        assert_eq!(locate_array(b"[1 2]", &[]), None);
        assert_eq!(locate_array(b"[1,]", &[]), None);
        assert_eq!(
            locate_array(br#"{"a": [1], "a": 2}"#, &["a"]),
            None,
            "the last key wins"
        );
        let deep = format!("[{}{}]", "[".repeat(150), "]".repeat(150));
        assert_eq!(locate_array(deep.as_bytes(), &[]), None);
        assert_eq!(locate_array(br#"{"a": ["unterminated"#, &["a"]), None);
    }
}
