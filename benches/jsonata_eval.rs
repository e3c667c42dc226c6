//! JSONata evaluation through the adapter (`asl_engine::jsonata`): typical Step
//! Functions expressions over the reference suite's invoice document (`dataset5`, inlined
//! below). Each expression is parsed once; one iteration is one evaluation with a
//! `serde_json::Value` in and a `serde_json::Value` out (input conversion included).
//!
//! Run: `cargo bench --bench jsonata_eval` (criterion; `-- --quick` for a short run).
//! With `ASL_JSONATA_PLAIN=SECONDS` it prints instead `NAME EVALS_PER_SEC` per
//! expression after timing each for that many seconds (used by
//! `benches/jsonata_vs_node.sh`); with `ASL_JSONATA_DUMP=1` it prints the expressions
//! and the document as JSON (`{"exprs": [[name, expression], ...], "doc": ...}`).

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::hint::black_box;
use std::time::{Duration, Instant};

use asl_engine::jsonata::Expression;
use criterion::{Criterion, criterion_group};
use serde_json::Value;

/// The expressions, by name (the same list is in benches/jsonata_vs_node.sh).
pub const EXPRESSIONS: [(&str, &str); 5] = [
    ("field", "Account.`Account Name`"),
    ("filter", "Account.Order.Product[Price > 30].Price"),
    ("sum", "$sum(Account.Order.Product.(Price * Quantity))"),
    (
        "object",
        "{'name': Account.`Account Name`, 'skus': Account.Order.Product.SKU, 'n': $count(Account.Order.Product)}",
    ),
    (
        "strings",
        "$join(Account.Order.Product.$uppercase($substring(`Product Name`, 0, 5)), ', ')",
    ),
];

/// dataset5 of the JSONata reference suite (compact).
pub const DOCUMENT: &str = r#"{"Account":{"Account Name":"Firefly","Order":[{"OrderID":"order103","Product":[{"Product Name":"Bowler Hat","ProductID":858383,"SKU":"0406654608","Description":{"Colour":"Purple","Width":300,"Height":200,"Depth":210,"Weight":0.75},"Price":34.45,"Quantity":2},{"Product Name":"Trilby hat","ProductID":858236,"SKU":"0406634348","Description":{"Colour":"Orange","Width":300,"Height":200,"Depth":210,"Weight":0.6},"Price":21.67,"Quantity":1}]},{"OrderID":"order104","Product":[{"Product Name":"Bowler Hat","ProductID":858383,"SKU":"040657863","Description":{"Colour":"Purple","Width":300,"Height":200,"Depth":210,"Weight":0.75},"Price":34.45,"Quantity":4},{"ProductID":345664,"SKU":"0406654603","Product Name":"Cloak","Description":{"Colour":"Black","Width":30,"Height":20,"Depth":210,"Weight":2},"Price":107.99,"Quantity":1}]}]}}"#;

fn bench(c: &mut Criterion) {
    let input: Value = serde_json::from_str(DOCUMENT).unwrap();
    let mut g = c.benchmark_group("jsonata");
    for (name, src) in EXPRESSIONS {
        let e = Expression::parse(src).unwrap();
        assert!(
            e.eval(Some(&input), &()).unwrap().is_some(),
            "{name} is undefined"
        );
        g.bench_function(name, |b| {
            b.iter(|| e.eval(Some(black_box(&input)), &()).unwrap())
        });
    }
    g.bench_function("parse/object", |b| {
        b.iter(|| Expression::parse(black_box(EXPRESSIONS[3].1)).unwrap())
    });
    g.finish();
}

fn plain(seconds: f64) {
    let input: Value = serde_json::from_str(DOCUMENT).unwrap();
    let only = std::env::var("ASL_JSONATA_ONLY").ok();
    for (name, src) in EXPRESSIONS {
        if only.as_deref().is_some_and(|o| o != name) {
            continue;
        }
        let e = Expression::parse(src).unwrap();
        println!(
            "# {name} = {}",
            serde_json::to_string(&e.eval(Some(&input), &()).unwrap()).unwrap()
        );
        for _ in 0..1000 {
            black_box(e.eval(Some(&input), &()).unwrap());
        }
        let (start, limit) = (Instant::now(), Duration::from_secs_f64(seconds));
        let mut n = 0u64;
        while start.elapsed() < limit {
            for _ in 0..100 {
                black_box(e.eval(Some(black_box(&input)), &()).unwrap());
            }
            n += 100;
        }
        println!("{name} {:.0}", n as f64 / start.elapsed().as_secs_f64());
    }
}

criterion_group!(benches, bench);

fn main() {
    if std::env::var_os("ASL_JSONATA_DUMP").is_some() {
        let doc: Value = serde_json::from_str(DOCUMENT).unwrap();
        println!(
            "{}",
            serde_json::json!({ "exprs": EXPRESSIONS, "doc": doc })
        );
        return;
    }
    if let Some(s) = std::env::var("ASL_JSONATA_PLAIN")
        .ok()
        .and_then(|s| s.parse().ok())
    {
        plain(s);
        return;
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
}
