//! Items from text straight to Arrow against the `Value` way: the same batch whenever
//! the text way makes one, and it makes one for items of one shape.

use super::tests::as_text;
use super::text_in::project;
use super::{items_to_batch, text_items_to_batch};
use proptest::prelude::*;
use serde_json::{Value, json};
use std::collections::HashSet;

/// A field value of one of the kinds a column holds, or one no column takes.
fn field(kind: u8, seed: i64) -> Value {
    match kind % 7 {
        0 => json!(seed),
        1 => json!(seed as f64 / 8.0 + 0.125),
        2 => json!(format!("s\"{seed}\u{e9}\\")),
        3 => json!(seed % 2 == 0),
        4 => json!({"n": seed, "o": {"t": format!("{seed}")}, "e": {}}),
        5 => json!([seed]),
        _ => Value::Null,
    }
}

/// Items of the shape `kinds` (key k0, k1, …), then changed by `change` at item
/// `at`: another kind, a key missing, one added, the keys reordered, a
/// non-object, or a u64 over i64::MAX.
fn items(kinds: &[u8], n: usize, change: u8, at: usize) -> Vec<Value> {
    let mut items: Vec<Value> = (0..n)
        .map(|i| {
            let m: serde_json::Map<String, Value> = kinds
                .iter()
                .enumerate()
                .map(|(k, kind)| (format!("k{k}"), field(*kind, (i * 7 + k) as i64 - 20)))
                .collect();
            Value::Object(m)
        })
        .collect();
    let Some(it) = items.get_mut(at) else {
        return items;
    };
    let obj = it.as_object_mut().expect("an object");
    match change % 8 {
        0 => {
            if let Some(v) = obj.get_mut("k0") {
                *v = field(kinds[0].wrapping_add(1), 3);
            }
        }
        1 => {
            obj.shift_remove("k0");
        }
        2 => {
            obj.insert("extra".into(), json!(1));
        }
        3 => {
            if let Some(v) = obj.shift_remove("k0") {
                obj.insert("k0".into(), v);
            }
        }
        4 => *it = json!("not an object"),
        5 => {
            obj.insert("k0".into(), json!(u64::MAX));
        }
        _ => {}
    }
    items
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]
    #[test]
    fn same_batch_as_the_value_way(
        kinds in prop::collection::vec(0u8..7, 0..5),
        n in 1usize..12,
        change in 0u8..10,
        at in 0usize..16,
        keep_mask in prop::option::of(0u8..32),
    ) {
        let items = items(&kinds, n, change, at);
        let (text, ranges) = as_text(&items);
        let names: Vec<String> = (0..6).map(|k| format!("k{k}")).chain(["extra".to_string()]).collect();
        let keep: Option<HashSet<&str>> = keep_mask.map(|m| {
            names.iter().enumerate().filter(|(k, _)| m & (1 << (k % 5)) != 0).map(|(_, n)| n.as_str()).collect()
        });
        let projected: Vec<Value> = ranges
            .iter()
            .map(|&(s, e)| project(serde_json::from_slice(&text[s..e]).expect("parses"), keep.as_ref()))
            .collect();
        let want = items_to_batch(&projected);
        let got = text_items_to_batch(&text, &ranges, keep.as_ref());
        if got.is_some() {
            prop_assert_eq!(&got, &want);
        }
        // Items of one shape of the kinds it takes always make a batch.
        let unchanged = change % 8 >= 6 || at >= n;
        let kept = |k: usize| keep.as_ref().is_none_or(|s| s.contains(format!("k{k}").as_str()));
        let takes = kinds.iter().enumerate().all(|(k, kind)| kind % 7 < 5 || !kept(k));
        if unchanged && takes {
            prop_assert!(got.is_some(), "{:?}", want);
        }
    }
}

#[test]
fn duplicate_keys_go_the_value_way() {
    let text = br#"[{"a": 1, "a": 2}, {"a": 3}]"#;
    let ranges = [(1, 17), (19, 27)];
    assert_eq!(text_items_to_batch(text, &ranges, None), None);
    let keep: HashSet<&str> = ["b"].into();
    // With only `b` kept there is nothing to compare: the batch has no columns.
    let batch = text_items_to_batch(text, &ranges, Some(&keep)).expect("a batch");
    assert_eq!((batch.num_rows(), batch.num_columns()), (2, 0));
}
