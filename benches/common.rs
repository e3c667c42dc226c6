//! Inputs and expected outputs shared by the Map benchmarks (`map`, `parallel`): the
//! benchmark workflow `datasets/map/workflow.asl.json`.

use serde_json::{Value, json};

const CATEGORIES: [&str; 5] = ["books", "garden", "toys", "tools", "music"];

/// `{"items": [...]}` with `n` items shaped like datasets/gen_map_input.py's (a
/// deterministic xorshift instead of Python's generator).
pub fn make_input(n: usize) -> Value {
    let mut s: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = move || {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        s
    };
    let items: Vec<Value> = (0..n)
        .map(|i| {
            json!({
                "a": next() % 1000,
                "b": next() % 1000,
                "name": format!("item-{i}"),
                "category": CATEGORIES[(next() % CATEGORIES.len() as u64) as usize],
            })
        })
        .collect();
    json!({ "items": items })
}

/// What the workflow outputs for one item (the hand-written program's computation).
pub fn expected(item: &Value) -> Value {
    let sum = item["a"].as_i64().unwrap() + item["b"].as_i64().unwrap();
    json!({
        "sum": sum,
        "label": format!("{} of {}", item["name"].as_str().unwrap(), item["category"].as_str().unwrap()),
        "a": item["a"],
        "name": item["name"],
        "size": if sum > 1000 { "big" } else { "small" },
    })
}
