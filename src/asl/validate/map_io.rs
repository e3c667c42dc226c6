//! Distributed Map I/O configuration: ItemReader (with ReaderConfig), ItemBatcher and
//! ResultWriter.

use super::map::obj_field;
use super::paths::{PathKind, check_path, check_template};
use super::{At, Ctx, Ql, child, jsonata, kind, show, strict};
use serde_json::{Map, Value};

/// Parameters (JSONPath) or Arguments (JSONata) of a reader/writer.
fn check_args(ctx: &mut Ctx, at: At, k: &str, v: &Value, ql: Ql, what: &str) {
    let p = child(at.ptr, k);
    match (k, ql) {
        ("Parameters", Ql::JsonPath) => check_template(ctx, &p, at.state, v),
        ("Arguments", Ql::Jsonata) => {}
        _ => ctx.report(
            &p,
            at.state,
            "field-query-language",
            format!(
                "{what} uses {} in {} states",
                if ql == Ql::Jsonata {
                    "Arguments"
                } else {
                    "Parameters"
                },
                if ql == Ql::Jsonata {
                    "JSONata"
                } else {
                    "JSONPath"
                }
            ),
        ),
    }
}

fn check_resource_field(ctx: &mut Ctx, at: At, m: &Map<String, Value>, what: &str, required: bool) {
    match m.get("Resource") {
        None if required => ctx.at(at, "missing-field", format!("{what} requires Resource")),
        None => {}
        Some(Value::String(s)) => {
            let p = child(at.ptr, "Resource");
            strict::check_resource(
                ctx,
                At {
                    ptr: &p,
                    state: at.state,
                },
                s,
                true,
            );
        }
        Some(v) => {
            let p = child(at.ptr, "Resource");
            ctx.report(
                &p,
                at.state,
                "wrong-type",
                format!("Resource must be a string, got {}", kind(v)),
            );
        }
    }
}

pub(super) fn check_reader(ctx: &mut Ctx, at: At, r: &Map<String, Value>, ql: Ql) {
    check_resource_field(ctx, at, r, "ItemReader", true);
    for (k, v) in r {
        match k.as_str() {
            "Resource" | "ReaderConfig" => {}
            "Parameters" | "Arguments" => check_args(ctx, at, k, v, ql, "ItemReader"),
            _ => {
                let p = child(at.ptr, k);
                ctx.report(&p, at.state, "unknown-field", format!("field '{k}' is not allowed in ItemReader (allowed: Resource, ReaderConfig, Parameters/Arguments)"));
            }
        }
    }
    let Some((p, cfg)) = obj_field(ctx, at, r, "ReaderConfig") else {
        return;
    };
    let cat = At {
        ptr: &p,
        state: at.state,
    };
    if cfg.contains_key("MaxItems") && cfg.contains_key("MaxItemsPath") {
        let mp = child(&p, "MaxItemsPath");
        ctx.report(
            &mp,
            at.state,
            "mutually-exclusive",
            "only one of MaxItems, MaxItemsPath may be set".into(),
        );
    }
    for (k, v) in cfg {
        let kp = child(&p, k);
        let kat = At {
            ptr: &kp,
            state: at.state,
        };
        match k.as_str() {
            "MaxItems" => {
                if !(ql == Ql::Jsonata && jsonata::is_expression(v))
                    && v.as_u64().is_none_or(|n| n < 1)
                {
                    ctx.at(
                        kat,
                        "out-of-range",
                        format!("MaxItems must be a positive integer, got {}", show(v)),
                    );
                }
            }
            "MaxItemsPath" => check_path(ctx, kat, k, v, PathKind::Reference, false),
            "InputType" | "CSVHeaderLocation" | "CSVDelimiter" | "ManifestType"
            | "Transformation" => {
                if !v.is_string() {
                    ctx.at(
                        kat,
                        "wrong-type",
                        format!("{k} must be a string, got {}", kind(v)),
                    );
                }
            }
            "CSVHeaders" => {
                if !v.as_array().is_some_and(|a| a.iter().all(Value::is_string)) {
                    ctx.at(
                        kat,
                        "wrong-type",
                        "CSVHeaders must be an array of strings".into(),
                    );
                }
            }
            "ItemsPointer" => {}
            _ => ctx.at(
                kat,
                "unknown-field",
                format!("field '{k}' is not allowed in ReaderConfig"),
            ),
        }
    }
    let _ = cat;
}

pub(super) fn check_batcher(ctx: &mut Ctx, at: At, b: &Map<String, Value>, ql: Ql) {
    for (a, bp) in [
        ("MaxItemsPerBatch", "MaxItemsPerBatchPath"),
        ("MaxInputBytesPerBatch", "MaxInputBytesPerBatchPath"),
    ] {
        if b.contains_key(a) && b.contains_key(bp) {
            let p = child(at.ptr, bp);
            ctx.report(
                &p,
                at.state,
                "mutually-exclusive",
                format!("only one of {a}, {bp} may be set"),
            );
        }
    }
    for (k, v) in b {
        let p = child(at.ptr, k);
        let kat = At {
            ptr: &p,
            state: at.state,
        };
        match k.as_str() {
            "MaxItemsPerBatch" | "MaxInputBytesPerBatch" => {
                if !(ql == Ql::Jsonata && jsonata::is_expression(v)) && v.as_u64().is_none_or(|n| n < 1) {
                    ctx.at(kat, "out-of-range", format!("{k} must be a positive integer, got {}", show(v)));
                }
            }
            "MaxItemsPerBatchPath" | "MaxInputBytesPerBatchPath" => {
                if ql == Ql::Jsonata {
                    ctx.at(kat, "field-query-language", format!("{k} is only allowed in JSONPath states"));
                } else {
                    check_path(ctx, kat, k, v, PathKind::Reference, false);
                }
            }
            "BatchInput" => {
                if ql == Ql::JsonPath {
                    if v.is_object() {
                        check_template(ctx, &p, at.state, v);
                    } else {
                        ctx.at(kat, "wrong-type", format!("BatchInput must be an object, got {}", kind(v)));
                    }
                } else if !(v.is_object() || jsonata::is_expression(v)) {
                    ctx.at(kat, "wrong-type", format!("BatchInput must be an object or a JSONata expression, got {}", kind(v)));
                }
            }
            _ => ctx.at(kat, "unknown-field", format!("field '{k}' is not allowed in ItemBatcher (allowed: MaxItemsPerBatch(Path), MaxInputBytesPerBatch(Path), BatchInput)")),
        }
    }
}

pub(super) fn check_writer(ctx: &mut Ctx, at: At, w: &Map<String, Value>, ql: Ql) {
    let needs_resource = !w.contains_key("WriterConfig");
    check_resource_field(ctx, at, w, "ResultWriter", needs_resource);
    for (k, v) in w {
        match k.as_str() {
            "Resource" => {}
            "WriterConfig" => {
                let p = child(at.ptr, k);
                match v {
                    Value::Object(wc) => check_writer_config(ctx, &p, at.state, wc, ql),
                    _ => ctx.report(
                        &p,
                        at.state,
                        "wrong-type",
                        format!("WriterConfig must be an object, got {}", kind(v)),
                    ),
                }
            }
            "Parameters" | "Arguments" => check_args(ctx, at, k, v, ql, "ResultWriter"),
            _ => {
                let p = child(at.ptr, k);
                ctx.report(&p, at.state, "unknown-field", format!("field '{k}' is not allowed in ResultWriter (allowed: Resource, Parameters/Arguments, WriterConfig)"));
            }
        }
    }
}

/// `WriterConfig`: `OutputType` JSON or JSONL and `Transformation` NONE, COMPACT or
/// FLATTEN (AWS's ResultWriter page; AWS CDK's `OutputType` and `Transformation` enums),
/// each optional (JSON and, without an export, COMPACT by default). `PARQUET` is a
/// local extension, refused with `--strict-aws`.
fn check_writer_config(
    ctx: &mut Ctx,
    ptr: &str,
    state: Option<&str>,
    wc: &Map<String, Value>,
    ql: Ql,
) {
    for (k, v) in wc {
        let p = child(ptr, k);
        let allowed: &[&str] = match k.as_str() {
            "OutputType" if ctx.opts.strict_aws => &["JSON", "JSONL"],
            "OutputType" => &["JSON", "JSONL", "PARQUET"],
            "Transformation" => &["NONE", "COMPACT", "FLATTEN"],
            _ => {
                ctx.report(&p, state, "unknown-field", format!("field '{k}' is not allowed in WriterConfig (allowed: OutputType, Transformation)"));
                continue;
            }
        };
        if ql == Ql::Jsonata && jsonata::is_expression(v) {
            continue;
        }
        if !v.as_str().is_some_and(|s| allowed.contains(&s)) {
            let local = if k == "OutputType" && v == "PARQUET" {
                " (PARQUET is a local extension of asl-engine, not on AWS)"
            } else {
                ""
            };
            ctx.report(
                &p,
                state,
                "bad-enum",
                format!(
                    "{k} must be one of {}, got {}{local}",
                    allowed.join(", "),
                    show(v)
                ),
            );
        }
    }
}
