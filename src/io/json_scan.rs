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
        return array_scan_any(text, start);
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
            let items = array_scan_any(text, v_start);
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

/// Arrays in texts longer than this are scanned in parallel.
const PARALLEL_SCAN_BYTES: usize = 4 << 20;

/// The array at `start`, scanned in parallel when the text is large.
fn array_scan_any(text: &[u8], start: usize) -> Option<FoundArray> {
    let threads = rayon::current_num_threads();
    if threads < 2 || text.len() - start < PARALLEL_SCAN_BYTES {
        return array_scan(text, start);
    }
    let segment = (text.len() - start).div_ceil(4 * threads).max(1 << 20);
    array_scan_parallel(text, start, segment)
}

/// What a scan of one segment of text saw, from a depth it doesn't know: the commas
/// that may be at the array's own level (each at the lowest depth seen so far in the
/// segment) and where that depth went lower, the depth at its end relative to its
/// start, the deepest it went, and whether it ended inside a string.
#[derive(Default)]
struct Segment {
    /// Positions of the commas at the lowest depth so far, in order.
    commas: Vec<usize>,
    /// Each closing bracket that went lower than the segment had been: (how many
    /// commas were recorded before it, the new depth, its position).
    lows: Vec<(usize, i64, usize)>,
    depth: i64,
    deepest: i64,
    in_string: bool,
}

/// Scans `b[from..to]`, starting inside a string when `in_string`.
fn scan_segment(b: &[u8], from: usize, to: usize, in_string: bool) -> Segment {
    let mut s = Segment::default();
    let b = &b[..to];
    let mut j = from;
    if in_string {
        // To the end of the string the segment starts in.
        match string_end(b, from - 1) {
            Some(e) => j = e,
            None => {
                s.in_string = true;
                return s;
            }
        }
    }
    let mut lowest = 0;
    while let Some(k) = b.get(j..).and_then(|rest| {
        rest.iter()
            .position(|c| STRUCTURAL[*c as usize] || *c == b',')
    }) {
        j += k;
        match b[j] {
            b'"' => match string_end(b, j) {
                Some(e) => {
                    j = e;
                    continue;
                }
                None => {
                    s.in_string = true;
                    return s;
                }
            },
            b'{' | b'[' => {
                s.depth += 1;
                s.deepest = s.deepest.max(s.depth);
            }
            b'}' | b']' => {
                s.depth -= 1;
                if s.depth < lowest {
                    lowest = s.depth;
                    s.lows.push((s.commas.len(), s.depth, j));
                }
            }
            _ => {
                if s.depth == lowest {
                    s.commas.push(j);
                }
            }
        }
        j += 1;
    }
    s
}

/// [`array_scan`] in segments of about `segment` bytes scanned in parallel: each is
/// first scanned as if it started outside a string; one that turns out to start inside
/// one is scanned again as such. Segments start where the byte before is not a
/// backslash (so never on an escaped character), after a `},` when one is near.
fn array_scan_parallel(text: &[u8], start: usize, segment: usize) -> Option<FoundArray> {
    use rayon::prelude::*;
    if text.get(start) != Some(&b'[') {
        return None;
    }
    let first = start + 1;
    let mut bounds = vec![first];
    let mut at = first;
    while at + segment < text.len() {
        let target = at + segment;
        let near = text[target..(target + 4096).min(text.len())]
            .windows(2)
            .position(|w| w == b"},")
            .map(|k| target + k + 1);
        let mut b = near.unwrap_or(target);
        while b < text.len() && text[b - 1] == b'\\' {
            b += 1;
        }
        if b >= text.len() {
            break;
        }
        bounds.push(b);
        at = b;
    }
    bounds.push(text.len());
    let outside: Vec<Segment> = bounds
        .par_windows(2)
        .map(|w| scan_segment(text, w[0], w[1], false))
        .collect();
    // The array's own level is depth 1 from `first`; its end is the first closing
    // bracket back at 0. Items are cut at the commas of depth 1 as they are met.
    let mut items = Vec::with_capacity(outside.iter().map(|s| s.commas.len()).sum::<usize>() + 1);
    let mut from = first;
    let mut cut = |to: usize| {
        let s = skip_ws(text, from);
        let mut e = to;
        while e > s && matches!(text[e - 1], b' ' | b'\n' | b'\t' | b'\r') {
            e -= 1;
        }
        items.push((s, e));
        from = to + 1;
    };
    let mut base = 1i64;
    let mut in_string = false;
    let mut end = None;
    'segments: for (k, w) in bounds.windows(2).enumerate() {
        let again;
        let seg = if in_string {
            again = scan_segment(text, w[0], w[1], true);
            &again
        } else {
            &outside[k]
        };
        if base + seg.deepest - 1 > MAX_ITEM_DEPTH as i64 {
            return None;
        }
        // The commas between one low and the next are at the first one's depth.
        let mut level = (0, 0i64);
        for &(before, depth, at) in seg.lows.iter().chain([&(seg.commas.len(), i64::MIN, 0)]) {
            if base + level.1 == 1 {
                seg.commas[level.0..before].iter().for_each(|&c| cut(c));
            }
            if depth != i64::MIN && base + depth == 0 {
                // `[ … }` is not an array (the skeleton, holding `[]`, wouldn't say).
                if text[at] != b']' {
                    return None;
                }
                cut(at);
                end = Some(at);
                break 'segments;
            }
            level = (before, depth);
        }
        base += seg.depth;
        in_string = seg.in_string;
    }
    let end = end?;
    match items.as_slice() {
        [(s, e)] if s == e => items.clear(),
        _ if items.iter().any(|(s, e)| s >= e) => return None,
        _ => {}
    }
    Some(((start, end + 1), items))
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

    /// Random JSON-ish text around an array: valid documents, and ones with a byte
    /// changed (an escape, a quote, a bracket, a comma).
    fn arb_text() -> impl Strategy<Value = Vec<u8>> {
        (
            prop::collection::vec(arb_json(), 0..8),
            any::<bool>(),
            prop::option::of((
                any::<prop::sample::Index>(),
                prop::sample::select(b"\\\"[]{},x ".to_vec()),
            )),
        )
            .prop_map(|(items, pretty, change)| {
                let doc = Value::Array(items);
                let mut text = if pretty {
                    serde_json::to_vec_pretty(&doc)
                } else {
                    serde_json::to_vec(&doc)
                }
                .unwrap_or_default();
                if let Some((at, byte)) = change {
                    let i = at.index(text.len());
                    if i > 0 {
                        text[i] = byte;
                    }
                }
                text
            })
    }

    proptest! {
        /// Scanned in parallel, in segments of any size (so starting inside strings,
        /// on escapes, inside items at any depth), an array is found as one pass finds
        /// it. Text that is not JSON may be cut otherwise, but never so that the cuts
        /// and the rest all parse: the split's checks then refuse it.
        #[test]
        fn parallel_scan_finds_what_one_pass_finds(text in arb_text(), segment in 1usize..48) {
            let one = array_scan(&text, 0);
            let parallel = array_scan_parallel(&text, 0, segment);
            if serde_json::from_slice::<Value>(&text).is_ok() {
                prop_assert!(one.is_some());
                prop_assert_eq!(&parallel, &one);
            }
            for ((s, e), items) in [one, parallel].into_iter().flatten() {
                let skeleton = [&text[..s], b"[]", &text[e..]].concat();
                let all_parse = serde_json::from_slice::<Value>(&skeleton).is_ok()
                    && items.iter().all(|&(a, b)| serde_json::from_slice::<Value>(&text[a..b]).is_ok());
                if all_parse {
                    prop_assert!(serde_json::from_slice::<Value>(&text).is_ok(), "{}", String::from_utf8_lossy(&text));
                }
            }
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
        for segment in [1, 7, 1000] {
            assert_eq!(array_scan_parallel(deep.as_bytes(), 0, segment), None);
            let limit = format!("[1, {}{}]", "[".repeat(100), "]".repeat(100));
            let one = array_scan(limit.as_bytes(), 0);
            assert!(one.is_some());
            assert_eq!(array_scan_parallel(limit.as_bytes(), 0, segment), one);
        }
        assert_eq!(locate_array(br#"{"a": ["unterminated"#, &["a"]), None);
    }
}
