//! Map states: item processor scope, ProcessorConfig, items source, concurrency,
//! tolerated failures, and the Distributed-only ItemReader/ItemBatcher/ResultWriter/Label.

use super::paths::{PathKind, check_path};
use super::states::check_non_negative_int;
use super::{At, Ctx, Ql, child, jsonata, kind, machine, map_io, show, strict};
use serde_json::{Map, Value};

pub(super) fn obj_field<'v>(
    ctx: &mut Ctx,
    at: At,
    m: &'v Map<String, Value>,
    f: &str,
) -> Option<(String, &'v Map<String, Value>)> {
    let v = m.get(f)?;
    let p = child(at.ptr, f);
    match v {
        Value::Object(o) => Some((p, o)),
        _ => {
            ctx.report(
                &p,
                at.state,
                "wrong-type",
                format!("{f} must be an object, got {}", kind(v)),
            );
            None
        }
    }
}

pub(super) fn check_map(
    ctx: &mut Ctx,
    at: At,
    obj: &Map<String, Value>,
    top_ql: Ql,
    ql: Ql,
    depth: usize,
) {
    let mut distributed = false;
    for f in ["ItemProcessor", "Iterator"] {
        let Some((p, proc_)) = obj_field(ctx, at, obj, f) else {
            continue;
        };
        if let Some((cp, cfg)) = obj_field(
            ctx,
            At {
                ptr: &p,
                state: at.state,
            },
            proc_,
            "ProcessorConfig",
        ) {
            distributed = check_processor_config(
                ctx,
                At {
                    ptr: &cp,
                    state: at.state,
                },
                cfg,
            );
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
        check_path(
            ctx,
            At {
                ptr: &p,
                state: at.state,
            },
            "ItemsPath",
            v,
            PathKind::Reference,
            false,
        );
    }
    if let Some(v) = obj.get("Items")
        && !(v.is_array() || jsonata::is_expression(v))
    {
        let p = field_at("Items");
        ctx.report(
            &p,
            at.state,
            "wrong-type",
            format!(
                "Items must be an array or a JSONata expression \"{{% … %}}\", got {}",
                show(v)
            ),
        );
    }
    for f in ["MaxConcurrency", "ToleratedFailureCount"] {
        if let Some(v) = obj.get(f) {
            let p = field_at(f);
            check_non_negative_int(
                ctx,
                At {
                    ptr: &p,
                    state: at.state,
                },
                f,
                v,
                ql,
            );
        }
    }
    if let Some(v) = obj.get("ToleratedFailurePercentage") {
        let p = field_at("ToleratedFailurePercentage");
        if !(ql == Ql::Jsonata && jsonata::is_expression(v)) {
            match v.as_f64() {
                Some(f) if (0.0..=100.0).contains(&f) => {}
                Some(f) => ctx.report(
                    &p,
                    at.state,
                    "out-of-range",
                    format!("ToleratedFailurePercentage must be between 0 and 100, got {f}"),
                ),
                None => ctx.report(
                    &p,
                    at.state,
                    "wrong-type",
                    format!(
                        "ToleratedFailurePercentage must be a number, got {}",
                        show(v)
                    ),
                ),
            }
        }
    }
    for f in [
        "MaxConcurrencyPath",
        "ToleratedFailureCountPath",
        "ToleratedFailurePercentagePath",
    ] {
        if let Some(v) = obj.get(f) {
            let p = field_at(f);
            check_path(
                ctx,
                At {
                    ptr: &p,
                    state: at.state,
                },
                f,
                v,
                PathKind::Reference,
                false,
            );
        }
    }
    if let Some(v) = obj.get("Label") {
        let p = field_at("Label");
        strict::check_label(
            ctx,
            At {
                ptr: &p,
                state: at.state,
            },
            v,
        );
    }
    if let Some((p, r)) = obj_field(ctx, at, obj, "ItemReader") {
        map_io::check_reader(
            ctx,
            At {
                ptr: &p,
                state: at.state,
            },
            r,
            ql,
        );
    }
    if let Some((p, b)) = obj_field(ctx, at, obj, "ItemBatcher") {
        map_io::check_batcher(
            ctx,
            At {
                ptr: &p,
                state: at.state,
            },
            b,
            ql,
        );
    }
    if let Some((p, w)) = obj_field(ctx, at, obj, "ResultWriter") {
        map_io::check_writer(
            ctx,
            At {
                ptr: &p,
                state: at.state,
            },
            w,
            ql,
        );
    }
    if !distributed && ctx.opts.strict_aws {
        for f in [
            "ItemReader",
            "ItemBatcher",
            "ResultWriter",
            "Label",
            "ToleratedFailureCount",
            "ToleratedFailureCountPath",
            "ToleratedFailurePercentage",
            "ToleratedFailurePercentagePath",
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
                _ => ctx.report(
                    &p,
                    at.state,
                    "bad-enum",
                    format!(
                        "Mode must be \"INLINE\" or \"DISTRIBUTED\", got {}",
                        show(v)
                    ),
                ),
            },
            "ExecutionType" => {
                if !matches!(v.as_str(), Some("STANDARD" | "EXPRESS")) {
                    ctx.report(
                        &p,
                        at.state,
                        "bad-enum",
                        format!(
                            "ExecutionType must be \"STANDARD\" or \"EXPRESS\", got {}",
                            show(v)
                        ),
                    );
                }
            }
            _ => ctx.report(
                &p,
                at.state,
                "unknown-field",
                format!(
                    "field '{k}' is not allowed in ProcessorConfig (allowed: Mode, ExecutionType)"
                ),
            ),
        }
    }
    if cfg.contains_key("ExecutionType") && !distributed {
        let p = child(at.ptr, "ExecutionType");
        ctx.report(
            &p,
            at.state,
            "distributed-only",
            "ExecutionType is only allowed when Mode is \"DISTRIBUTED\"".into(),
        );
    }
    distributed
}
