//! Map states: item processor scope, ProcessorConfig, items source, concurrency,
//! tolerated failures, and the Distributed-only ItemReader/ItemBatcher/ResultWriter/Label.

use super::paths::{PathKind, check_path, check_template};
use super::states::check_non_negative_int;
use super::{At, Ctx, Ql, child, jsonata, kind, machine, show, strict};
use serde_json::{Map, Value};

fn obj_field<'v>(ctx: &mut Ctx, at: At, m: &'v Map<String, Value>, f: &str) -> Option<(String, &'v Map<String, Value>)> {
    let v = m.get(f)?;
    let p = child(at.ptr, f);
    match v {
        Value::Object(o) => Some((p, o)),
        _ => {
            ctx.report(&p, at.state, "wrong-type", format!("{f} must be an object, got {}", kind(v)));
            None
        }
    }
}

pub(super) fn check_map(ctx: &mut Ctx, at: At, obj: &Map<String, Value>, top_ql: Ql, ql: Ql, depth: usize) {
    let mut distributed = false;
    for f in ["ItemProcessor", "Iterator"] {
        let Some((p, proc_)) = obj_field(ctx, at, obj, f) else { continue };
        if let Some((cp, cfg)) = obj_field(ctx, At { ptr: &p, state: at.state }, proc_, "ProcessorConfig") {
            distributed = check_processor_config(ctx, At { ptr: &cp, state: at.state }, cfg);
        }
        let extra: &[&str] = &["ProcessorConfig"];
        // A Distributed Map runs its item processor as child executions: a separate
        // state machine, so its states may choose JSONPath even under a JSONata parent.
        let child_top = if distributed { Ql::JsonPath } else { top_ql };
        machine::check_scope(ctx, proc_, &p, at.state, child_top, ql, depth + 1, extra);
    }
    let field_at = |f: &str| child(at.ptr, f);
    if let Some(v) = obj.get("ItemsPath") {
        let p = field_at("ItemsPath");
        check_path(ctx, At { ptr: &p, state: at.state }, "ItemsPath", v, PathKind::Reference, false);
    }
    if let Some(v) = obj.get("Items") {
        if !(v.is_array() || jsonata::is_expression(v)) {
            let p = field_at("Items");
            ctx.report(&p, at.state, "wrong-type", format!("Items must be an array or a JSONata expression \"{{% … %}}\", got {}", show(v)));
        }
    }
    for f in ["MaxConcurrency", "ToleratedFailureCount"] {
        if let Some(v) = obj.get(f) {
            let p = field_at(f);
            check_non_negative_int(ctx, At { ptr: &p, state: at.state }, f, v, ql);
        }
    }
    if let Some(v) = obj.get("ToleratedFailurePercentage") {
        let p = field_at("ToleratedFailurePercentage");
        if !(ql == Ql::Jsonata && jsonata::is_expression(v)) {
            match v.as_f64() {
                Some(f) if (0.0..=100.0).contains(&f) => {}
                Some(f) => ctx.report(&p, at.state, "out-of-range", format!("ToleratedFailurePercentage must be between 0 and 100, got {f}")),
                None => ctx.report(&p, at.state, "wrong-type", format!("ToleratedFailurePercentage must be a number, got {}", show(v))),
            }
        }
    }
    for f in ["MaxConcurrencyPath", "ToleratedFailureCountPath", "ToleratedFailurePercentagePath"] {
        if let Some(v) = obj.get(f) {
            let p = field_at(f);
            check_path(ctx, At { ptr: &p, state: at.state }, f, v, PathKind::Reference, false);
        }
    }
    if let Some(v) = obj.get("Label") {
        let p = field_at("Label");
        strict::check_label(ctx, At { ptr: &p, state: at.state }, v);
    }
    if let Some((p, r)) = obj_field(ctx, at, obj, "ItemReader") {
        check_reader(ctx, At { ptr: &p, state: at.state }, r, ql);
    }
    if let Some((p, b)) = obj_field(ctx, at, obj, "ItemBatcher") {
        check_batcher(ctx, At { ptr: &p, state: at.state }, b, ql);
    }
    if let Some((p, w)) = obj_field(ctx, at, obj, "ResultWriter") {
        check_writer(ctx, At { ptr: &p, state: at.state }, w, ql);
    }
    if !distributed && ctx.opts.strict_aws {
        for f in [
            "ItemReader", "ItemBatcher", "ResultWriter", "Label", "ToleratedFailureCount",
            "ToleratedFailureCountPath", "ToleratedFailurePercentage", "ToleratedFailurePercentagePath",
        ] {
            if obj.contains_key(f) {
                let p = field_at(f);
                ctx.report(&p, at.state, "distributed-only", format!("{f} is only allowed in a Distributed Map (ItemProcessor.ProcessorConfig.Mode \"DISTRIBUTED\")"));
            }
        }
    }
}

/// Returns whether the Map is distributed.
fn check_processor_config(ctx: &mut Ctx, at: At, cfg: &Map<String, Value>) -> bool {
    let mut distributed = false;
    for (k, v) in cfg {
        let p = child(at.ptr, k);
        match k.as_str() {
            "Mode" => match v.as_str() {
                Some("DISTRIBUTED") => distributed = true,
                Some("INLINE") => {}
                _ => ctx.report(&p, at.state, "bad-enum", format!("Mode must be \"INLINE\" or \"DISTRIBUTED\", got {}", show(v))),
            },
            "ExecutionType" => {
                if !matches!(v.as_str(), Some("STANDARD" | "EXPRESS")) {
                    ctx.report(&p, at.state, "bad-enum", format!("ExecutionType must be \"STANDARD\" or \"EXPRESS\", got {}", show(v)));
                }
            }
            _ => ctx.report(&p, at.state, "unknown-field", format!("field '{k}' is not allowed in ProcessorConfig (allowed: Mode, ExecutionType)")),
        }
    }
    if cfg.contains_key("ExecutionType") && !distributed {
        let p = child(at.ptr, "ExecutionType");
        ctx.report(&p, at.state, "distributed-only", "ExecutionType is only allowed when Mode is \"DISTRIBUTED\"".into());
    }
    distributed
}

/// Parameters (JSONPath) or Arguments (JSONata) of a reader/writer.
fn check_args(ctx: &mut Ctx, at: At, k: &str, v: &Value, ql: Ql, what: &str) {
    let p = child(at.ptr, k);
    match (k, ql) {
        ("Parameters", Ql::JsonPath) => check_template(ctx, &p, at.state, v),
        ("Arguments", Ql::Jsonata) => {}
        _ => ctx.report(&p, at.state, "field-query-language", format!("{what} uses {} in {} states", if ql == Ql::Jsonata { "Arguments" } else { "Parameters" }, if ql == Ql::Jsonata { "JSONata" } else { "JSONPath" })),
    }
}

fn check_resource_field(ctx: &mut Ctx, at: At, m: &Map<String, Value>, what: &str, required: bool) {
    match m.get("Resource") {
        None if required => ctx.at(at, "missing-field", format!("{what} requires Resource")),
        None => {}
        Some(Value::String(s)) => {
            let p = child(at.ptr, "Resource");
            strict::check_resource(ctx, At { ptr: &p, state: at.state }, s);
        }
        Some(v) => {
            let p = child(at.ptr, "Resource");
            ctx.report(&p, at.state, "wrong-type", format!("Resource must be a string, got {}", kind(v)));
        }
    }
}

fn check_reader(ctx: &mut Ctx, at: At, r: &Map<String, Value>, ql: Ql) {
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
    let Some((p, cfg)) = obj_field(ctx, at, r, "ReaderConfig") else { return };
    let cat = At { ptr: &p, state: at.state };
    if cfg.contains_key("MaxItems") && cfg.contains_key("MaxItemsPath") {
        let mp = child(&p, "MaxItemsPath");
        ctx.report(&mp, at.state, "mutually-exclusive", "only one of MaxItems, MaxItemsPath may be set".into());
    }
    for (k, v) in cfg {
        let kp = child(&p, k);
        let kat = At { ptr: &kp, state: at.state };
        match k.as_str() {
            "MaxItems" => {
                if !(ql == Ql::Jsonata && jsonata::is_expression(v)) && !v.as_u64().is_some_and(|n| n >= 1) {
                    ctx.at(kat, "out-of-range", format!("MaxItems must be a positive integer, got {}", show(v)));
                }
            }
            "MaxItemsPath" => check_path(ctx, kat, k, v, PathKind::Reference, false),
            "InputType" | "CSVHeaderLocation" | "CSVDelimiter" | "ManifestType" | "Transformation" => {
                if !v.is_string() {
                    ctx.at(kat, "wrong-type", format!("{k} must be a string, got {}", kind(v)));
                }
            }
            "CSVHeaders" => {
                if !v.as_array().is_some_and(|a| a.iter().all(Value::is_string)) {
                    ctx.at(kat, "wrong-type", "CSVHeaders must be an array of strings".into());
                }
            }
            "ItemsPointer" => {}
            _ => ctx.at(kat, "unknown-field", format!("field '{k}' is not allowed in ReaderConfig")),
        }
    }
    let _ = cat;
}

fn check_batcher(ctx: &mut Ctx, at: At, b: &Map<String, Value>, ql: Ql) {
    for (a, bp) in [("MaxItemsPerBatch", "MaxItemsPerBatchPath"), ("MaxInputBytesPerBatch", "MaxInputBytesPerBatchPath")] {
        if b.contains_key(a) && b.contains_key(bp) {
            let p = child(at.ptr, bp);
            ctx.report(&p, at.state, "mutually-exclusive", format!("only one of {a}, {bp} may be set"));
        }
    }
    for (k, v) in b {
        let p = child(at.ptr, k);
        let kat = At { ptr: &p, state: at.state };
        match k.as_str() {
            "MaxItemsPerBatch" | "MaxInputBytesPerBatch" => {
                if !(ql == Ql::Jsonata && jsonata::is_expression(v)) && !v.as_u64().is_some_and(|n| n >= 1) {
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

fn check_writer(ctx: &mut Ctx, at: At, w: &Map<String, Value>, ql: Ql) {
    let needs_resource = !w.contains_key("WriterConfig");
    check_resource_field(ctx, at, w, "ResultWriter", needs_resource);
    for (k, v) in w {
        match k.as_str() {
            "Resource" => {}
            "WriterConfig" => {
                if !v.is_object() {
                    let p = child(at.ptr, k);
                    ctx.report(&p, at.state, "wrong-type", format!("WriterConfig must be an object, got {}", kind(v)));
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
