//! Map and Parallel. Items and branches run one after another here, with the final
//! semantics: results in input order, MaxConcurrency honoured, the first unhandled
//! failure fails the state, tolerated failures counted.

use super::context::{StateEnv, Vars};
use super::dataflow::select_path;
use super::run::{Run, ScopeFacts};
use super::states::plain;
use crate::asl::Failure;
use crate::asl::failure::names;
use crate::asl::model::template::to_compact;
use crate::asl::model::{Dynamic, Map, Parallel, PathField, ProcessorMode, State};
use crate::asl::path::Env;
use serde_json::{Value, json};

impl Run<'_> {
    pub(crate) fn run_parallel(
        &self,
        st: &State,
        p: &Parallel,
        input: Value,
        env: &StateEnv<'_>,
    ) -> Result<Value, Failure> {
        let _ = st;
        self.event("ParallelStateStarted", || None);
        let mut out = Vec::with_capacity(p.branches.len());
        for b in &p.branches {
            let mut vars = Vars::child(env.vars);
            match self.run_scope(b, input.clone(), &mut vars, ScopeFacts::default()) {
                Ok(v) => out.push(v),
                Err(f) => {
                    self.event("ParallelStateFailed", || None);
                    return Err(f);
                }
            }
        }
        self.event("ParallelStateSucceeded", || None);
        Ok(Value::Array(out))
    }

    pub(crate) fn run_map(
        &self,
        st: &State,
        m: &Map,
        env: &StateEnv<'_>,
        _retry: u32,
    ) -> Result<Value, Failure> {
        if m.item_reader.is_some() || m.result_writer.is_some() || m.item_batcher.is_some() {
            return Err(Failure::runtime(format!(
                "Map state '{}' uses ItemReader, ItemBatcher or ResultWriter: the Distributed Map data plane is not supported yet by this engine",
                st.name
            )));
        }
        let items_v = match &m.items_path {
            PathField::Default => std::borrow::Cow::Borrowed(env.input()),
            PathField::Null => std::borrow::Cow::Owned(json!({})),
            PathField::Path(p) => select_path(p, env)?,
        };
        let Value::Array(items) = items_v.as_ref() else {
            return Err(Failure::runtime(format!(
                "Map state input must be an array but was: {}",
                to_compact(&items_v)
            )));
        };
        let _max_concurrency =
            self.map_integer(m.max_concurrency.as_ref(), "MaxConcurrency", env)?;
        let tol_count = self.map_integer(
            m.tolerated_failure_count.as_ref(),
            "ToleratedFailureCount",
            env,
        )?;
        let tol_pct = match &m.tolerated_failure_percentage {
            None => None,
            Some(Dynamic::Value(v)) => Some(*v),
            Some(Dynamic::Path(p)) => {
                let v = select_path(p, env)?;
                let num = v
                    .as_f64()
                    .or_else(|| v.as_str().and_then(|s| s.trim().parse::<f64>().ok()));
                match num {
                    Some(x) => Some(x),
                    None => {
                        return Err(Failure::runtime(format!(
                            "The ToleratedFailurePercentagePath field refers to value \"{}\" which is not a valid float: {}",
                            plain(&v),
                            p.as_str()
                        )));
                    }
                }
            }
        };
        if let Some(p) = tol_pct
            && !(0.0..=100.0).contains(&p)
        {
            return Err(Failure::runtime(
                "ToleratedFailurePercentage must be between 0 and 100.",
            ));
        }
        let tolerant =
            m.mode == ProcessorMode::Distributed || tol_count.is_some() || tol_pct.is_some();
        self.event("MapStateStarted", || {
            Some((
                "mapStateStartedEventDetails",
                json!({"length": items.len()}),
            ))
        });
        let mut results = Vec::with_capacity(items.len());
        let mut failures = 0u64;
        for (i, item) in items.iter().enumerate() {
            let item_input = match &m.item_selector {
                Some(t) => {
                    let mut facts = env.state;
                    facts.map_item = Some((i, item));
                    let ienv = StateEnv::new(env.input, env.exec, facts, env.vars);
                    t.eval(&ienv)?
                }
                None => item.clone(),
            };
            self.event("MapIterationStarted", || {
                Some((
                    "mapIterationStartedEventDetails",
                    json!({"name": st.name, "index": i}),
                ))
            });
            let mut vars = Vars::child(env.vars);
            let r = self.run_scope(
                &m.processor,
                item_input,
                &mut vars,
                ScopeFacts {
                    map_item: Some((i, item)),
                },
            );
            match r {
                Ok(v) => {
                    self.event("MapIterationSucceeded", || {
                        Some((
                            "mapIterationSucceededEventDetails",
                            json!({"name": st.name, "index": i}),
                        ))
                    });
                    results.push(v);
                }
                Err(f) => {
                    self.event("MapIterationFailed", || {
                        Some((
                            "mapIterationFailedEventDetails",
                            json!({"name": st.name, "index": i}),
                        ))
                    });
                    if !tolerant {
                        self.event("MapStateFailed", || None);
                        return Err(f);
                    }
                    failures += 1;
                    let allowed_count = tol_count.unwrap_or(0);
                    let allowed_pct = tol_pct.unwrap_or(0.0);
                    let pct = failures as f64 * 100.0 / items.len().max(1) as f64;
                    if failures > allowed_count && pct > allowed_pct {
                        self.event("MapStateFailed", || None);
                        return Err(Failure::new(
                            names::EXCEED_TOLERATED_FAILURE_THRESHOLD,
                            "The specified tolerated failure threshold was exceeded",
                        ));
                    }
                    results.push(json!({"Error": f.error, "Cause": f.cause}));
                }
            }
        }
        self.event("MapStateSucceeded", || None);
        Ok(Value::Array(results))
    }

    fn map_integer(
        &self,
        d: Option<&Dynamic<u64>>,
        field: &str,
        env: &dyn Env,
    ) -> Result<Option<u64>, Failure> {
        match d {
            None => Ok(None),
            Some(Dynamic::Value(v)) => Ok(Some(*v)),
            Some(Dynamic::Path(p)) => {
                let v = select_path(p, env)?;
                // Numbers, and strings holding an integer, as Jackson reads them.
                let n = v
                    .as_i64()
                    .or_else(|| v.as_str().and_then(|s| s.trim().parse::<i64>().ok()));
                if n.is_some_and(|n| n < 0) {
                    return Err(Failure::runtime(format!("{field} cannot be negative.")));
                }
                match n.map(|n| n as u64) {
                    Some(n) => Ok(Some(n)),
                    None => Err(Failure::runtime(format!(
                        "The {field}Path field refers to value \"{}\" which is not a valid integer: {}",
                        plain(&v),
                        p.as_str()
                    ))),
                }
            }
        }
    }
}
