//! `asl bench`: the scatter-gather benchmark. For each pool size: build an executor with
//! that many threads, plan the machine once, run once to warm up, then time K whole
//! executions. The input is parsed once and shared by every run (not copied, not freed
//! in between), so the times are the executions alone. Items (Map iterations) and state transitions per run
//! come from one untimed run with history recording on.

use super::args::{BenchArgs, ExecArgs, Format};
use super::setup::{LOCAL_REGION, build_executor, load_definition, machine_name, read_input};
use super::{EXIT_FAILED, EXIT_OK, EXIT_USAGE};
use asl_engine::exec::{Execution, Executor, RunOptions, Status};
use asl_engine::plan::Plan;
use serde_json::{Value, json};
use std::time::Instant;

/// One row of the table.
struct Row {
    threads: usize,
    median_ms: f64,
    min_ms: f64,
}

pub fn bench(a: BenchArgs) -> i32 {
    match bench_inner(a) {
        Ok(c) | Err(c) => c,
    }
}

/// 1, 2, 4, … up to the number of cores, with the core count itself.
fn default_threads() -> Vec<usize> {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut v = Vec::new();
    let mut t = 1;
    while t < cores {
        v.push(t);
        t *= 2;
    }
    v.push(cores);
    v
}

fn exec_args(a: &BenchArgs, threads: usize) -> ExecArgs {
    ExecArgs {
        resources: a.resources.clone(),
        connections: None,
        clock: a.clock,
        threads: Some(threads),
        progress: a.progress,
        quiet: a.quiet,
        no_columnar: a.no_columnar,
        buckets: a.buckets.clone(),
        data_root: a.data_root.clone(),
    }
}

fn check(out: &Execution, threads: usize) -> Result<(), i32> {
    match out.status {
        Status::Succeeded => Ok(()),
        Status::Failed | Status::Aborted | Status::Suspended => {
            eprintln!(
                "asl bench: the execution failed ({} thread{}): {}{}",
                threads,
                if threads == 1 { "" } else { "s" },
                out.error.as_deref().unwrap_or("(no error)"),
                out.cause
                    .as_deref()
                    .map(|c| format!(": {c}"))
                    .unwrap_or_default()
            );
            Err(EXIT_FAILED)
        }
    }
}

fn bench_inner(a: BenchArgs) -> Result<i32, i32> {
    let sm = load_definition("bench", &a.definition)?;
    let input = read_input("bench", a.input.as_deref())?;
    let mut threads: Vec<usize> = match &a.threads {
        Some(v) => v.iter().map(|&t| t as usize).collect(),
        None => default_threads(),
    };
    let mut seen = std::collections::HashSet::new();
    threads.retain(|t| seen.insert(*t));
    if threads.is_empty() {
        eprintln!("asl bench: --threads needs at least one pool size");
        return Err(EXIT_USAGE);
    }
    let runs = a.runs.max(1) as usize;
    let opts = RunOptions {
        state_machine_name: machine_name(&a.definition),
        ..RunOptions::default()
    };

    // Items and transitions per run: one untimed run with the history recorded.
    let (items, transitions) = {
        let ex = build_executor("bench", &exec_args(&a, threads[0]), LOCAL_REGION)?;
        let plan = ex.plan(sm.clone());
        let out = ex.run_plan(
            &plan,
            input.clone(),
            &RunOptions {
                history: true,
                ..opts.clone()
            },
        );
        check(&out, threads[0])?;
        count_events(&out.history)
    };

    let mut rows = Vec::new();
    for &t in &threads {
        let ex = build_executor("bench", &exec_args(&a, t), LOCAL_REGION)?;
        let plan = ex.plan(sm.clone());
        rows.push(time_runs(&ex, &plan, &input, &opts, t, runs)?);
    }

    let base = rows.iter().find(|r| r.threads == 1).map(|r| r.median_ms);
    let per_s = |n: u64, ms: f64| {
        if ms > 0.0 {
            n as f64 * 1000.0 / ms
        } else {
            0.0
        }
    };
    let speedup = |ms: f64| base.map(|b| if ms > 0.0 { b / ms } else { 0.0 });
    match a.format {
        Format::Json => {
            let results: Vec<Value> = rows
                .iter()
                .map(|r| {
                    json!({
                        "threads": r.threads,
                        "median_ms": r.median_ms,
                        "min_ms": r.min_ms,
                        "items_per_s": per_s(items, r.median_ms),
                        "transitions_per_s": per_s(transitions, r.median_ms),
                        "speedup": speedup(r.median_ms),
                    })
                })
                .collect();
            let report = json!({
                "definition": a.definition,
                "runs": runs,
                "items": items,
                "transitions": transitions,
                "results": results,
            });
            outln!("{report}");
        }
        Format::Text => {
            outln!(
                "{}: {runs} timed run{} per pool size after 1 warm-up; {items} Map items and {transitions} state transitions per run",
                a.definition,
                if runs == 1 { "" } else { "s" }
            );
            outln!(
                "{:>7}  {:>12}  {:>12}  {:>14}  {:>16}  {:>8}",
                "threads",
                "median ms",
                "min ms",
                "items/s",
                "transitions/s",
                "speed-up"
            );
            for r in &rows {
                let s = speedup(r.median_ms).map_or("-".to_string(), |s| format!("{s:.2}x"));
                outln!(
                    "{:>7}  {:>12.3}  {:>12.3}  {:>14.0}  {:>16.0}  {:>8}",
                    r.threads,
                    r.median_ms,
                    r.min_ms,
                    per_s(items, r.median_ms),
                    per_s(transitions, r.median_ms),
                    s
                );
            }
        }
    }
    if let Some(path) = &a.plot {
        let svg = scaling_plot(&a.definition, runs, items, transitions, &rows);
        if let Err(e) = std::fs::write(path, svg) {
            eprintln!("asl bench: {path}: {e}");
            return Err(EXIT_USAGE);
        }
    }
    Ok(EXIT_OK)
}

/// The scaling curve as a standalone SVG: items/s (state transitions/s when the run
/// has no Map items) per pool size on the left, the speed-up over 1 thread (or over
/// the smallest pool timed) with the ideal linear speed-up dashed on the right.
fn scaling_plot(
    definition: &str,
    runs: usize,
    items: u64,
    transitions: u64,
    rows: &[Row],
) -> String {
    use asl_engine::graph::plot::{self, Chart, Markers, Series};
    let mut rows: Vec<&Row> = rows.iter().collect();
    rows.sort_by_key(|r| r.threads);
    let (unit, n) = if items > 0 {
        ("items/s", items)
    } else {
        ("state transitions/s", transitions)
    };
    let rate = |ms: f64| {
        if ms > 0.0 {
            n as f64 * 1000.0 / ms
        } else {
            0.0
        }
    };
    let ticks: Vec<f64> = rows.iter().map(|r| r.threads as f64).collect();
    let mut throughput = Chart::new(
        &format!(
            "Throughput ({unit}, median of {runs} run{})",
            if runs == 1 { "" } else { "s" }
        ),
        "threads",
        unit,
    );
    throughput.class = "throughput".to_string();
    throughput.x_ticks = Some(ticks.clone());
    throughput.series.push(Series::new(
        unit,
        rows.iter()
            .map(|r| (r.threads as f64, rate(r.median_ms)))
            .collect(),
        "#0972d3",
    ));
    let base = rows[0];
    let mut speedup = Chart::new(
        &format!(
            "Speed-up over {} thread{}",
            base.threads,
            if base.threads == 1 { "" } else { "s" }
        ),
        "threads",
        "speed-up",
    );
    speedup.class = "speedup".to_string();
    speedup.x_ticks = Some(ticks);
    speedup.y_format = plot::number;
    let mut measured = Series::new(
        "measured",
        rows.iter()
            .map(|r| {
                let s = if r.median_ms > 0.0 {
                    base.median_ms / r.median_ms
                } else {
                    0.0
                };
                (r.threads as f64, s)
            })
            .collect(),
        "#037f0c",
    );
    measured.format = plot::times;
    let mut ideal = Series::new(
        "ideal (linear)",
        rows.iter()
            .map(|r| (r.threads as f64, r.threads as f64 / base.threads as f64))
            .collect(),
        "#8d99a6",
    );
    ideal.dashed = true;
    ideal.markers = Markers::None;
    speedup.series.push(ideal);
    speedup.series.push(measured);
    let title = format!(
        "asl bench {definition}: {n} {} per run",
        unit.trim_end_matches("/s")
    );
    let heading = format!(
        "<text x=\"16\" y=\"24\" style=\"font: 600 15px system-ui, sans-serif\">{}</text>",
        asl_engine::graph::plot::escape(&title)
    );
    let body = format!(
        "{heading}{}{}",
        throughput.group(0.0, 36.0),
        speedup.group(480.0, 36.0)
    );
    plot::document(960.0, 336.0, &title, &body)
}

/// `*StateEntered` events are state transitions; `MapIterationStarted` events are items.
fn count_events(history: &[Value]) -> (u64, u64) {
    let mut items = 0;
    let mut transitions = 0;
    for e in history {
        match e.get("type").and_then(Value::as_str) {
            Some("MapIterationStarted") => items += 1,
            Some(t) if t.ends_with("StateEntered") => transitions += 1,
            _ => {}
        }
    }
    (items, transitions)
}

/// One warm-up run, then `runs` timed ones. Every run shares the parsed input (no copy,
/// nothing freed inside or between the timers); each output is dropped after its timer.
fn time_runs(
    ex: &Executor,
    plan: &Plan,
    input: &Value,
    opts: &RunOptions,
    threads: usize,
    runs: usize,
) -> Result<Row, i32> {
    let input = std::sync::Arc::new(input.clone());
    check(&ex.run_shared(plan, input.clone(), opts), threads)?;
    let mut ms = Vec::with_capacity(runs);
    for _ in 0..runs {
        let start = Instant::now();
        let out = ex.run_shared(plan, input.clone(), opts);
        let elapsed = start.elapsed().as_secs_f64() * 1000.0;
        check(&out, threads)?;
        ms.push(elapsed);
    }
    ms.sort_by(f64::total_cmp);
    let median_ms = if runs % 2 == 1 {
        ms[runs / 2]
    } else {
        (ms[runs / 2 - 1] + ms[runs / 2]) / 2.0
    };
    Ok(Row {
        threads,
        median_ms,
        min_ms: ms[0],
    })
}
