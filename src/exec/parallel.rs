//! The Parallel state: every branch runs on the input, results in branch order. Branches
//! that never wait run on the work-stealing pool (in order on the calling thread when
//! the pool has one thread); branches that block get scoped threads of their own. A
//! failed branch stops its siblings before their next state.

use super::context::{StateEnv, Vars};
use super::run::{CANCELLED, Run, ScopeFacts};
use crate::asl::Failure;
use crate::asl::model::{Parallel, StateMachine};
use rayon::prelude::*;
use serde_json::Value;
use std::borrow::Cow;
use std::sync::atomic::{AtomicBool, Ordering};

impl Run<'_> {
    pub(crate) fn run_parallel(
        &self,
        p: &Parallel,
        input: Value,
        env: &StateEnv<'_>,
    ) -> Result<Value, Failure> {
        self.event("ParallelStateStarted", || None);
        let cancel = AtomicBool::new(false);
        let vars = env.vars;
        let scope = super::history::current_scope();
        let state_key = env.state.state_key;
        let run_branch = |(i, b): (usize, &StateMachine)| -> Result<Value, Failure> {
            // A branch may run on another thread: it carries the scope mark along.
            let _mark = super::history::ScopeMark::set(scope);
            let mut bvars = Vars::child(vars);
            let prefix = state_key.map(|k| format!("{k}/b{i}"));
            let r = self.run_scope(
                b,
                Cow::Borrowed(&input),
                &mut bvars,
                ScopeFacts {
                    map_item: None,
                    cancel: Some(&cancel),
                    counter: None,
                    prefix: prefix.as_deref(),
                    state_key: None,
                    entered_id: 0,
                },
            );
            if r.is_err() {
                cancel.store(true, Ordering::Relaxed);
            }
            r
        };
        let results: Vec<Result<Value, Failure>> = if p.branches.len() <= 1
            || (self.ex.threads() <= 1
                && p.branches
                    .iter()
                    .all(|b| crate::plan::blocking_reason(b, self.ex.tasks.as_ref()).is_none()))
        {
            // One branch, or one thread and branches that never wait: in order, here.
            p.branches.iter().enumerate().map(run_branch).collect()
        } else if rayon::current_thread_index().is_some() {
            // Inside a parallel Map: stay on the work-stealing pool, never block a worker.
            p.branches.par_iter().enumerate().map(run_branch).collect()
        } else if p
            .branches
            .iter()
            .all(|b| crate::plan::blocking_reason(b, self.ex.tasks.as_ref()).is_none())
        {
            // Branches that never wait run on the pool: a thread per branch per execution
            // would cost more than the branches themselves (a 4-branch Parallel of Pass
            // states: ~150 µs on fresh threads).
            self.ex
                .in_pool(|| p.branches.par_iter().enumerate().map(run_branch).collect())
        } else {
            crossbeam::thread::scope(|s| {
                let handles: Vec<_> = p
                    .branches
                    .iter()
                    .enumerate()
                    .map(|(i, b)| s.spawn(move |_| run_branch((i, b))))
                    .collect();
                handles
                    .into_iter()
                    .map(|h| {
                        h.join()
                            .unwrap_or_else(|_| Err(Failure::runtime("a Parallel branch panicked")))
                    })
                    .collect()
            })
            .unwrap_or_else(|_| vec![Err(Failure::runtime("a Parallel branch panicked"))])
        };
        let mut out = Vec::with_capacity(results.len());
        let mut first_err = None;
        for r in results {
            match r {
                Ok(v) => out.push(v),
                Err(f) if f.error.as_deref() == Some(CANCELLED) => {}
                Err(f) => {
                    first_err.get_or_insert(f);
                }
            }
        }
        if let Some(f) = first_err {
            self.event("ParallelStateFailed", || None);
            return Err(f);
        }
        self.event("ParallelStateSucceeded", || None);
        Ok(Value::Array(out))
    }
}
