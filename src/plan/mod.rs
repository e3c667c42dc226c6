//! The physical plan: a validated [`StateMachine`] (already a flat arena of states with
//! ids, one kind per state type, Map and Parallel holding their sub-machines) plus, for
//! every Map, the execution strategy the planner chose and why.
//!
//! - **Columnar**: the item processor only uses states with an Arrow-kernel form; each
//!   partition is a `RecordBatch` and each state a kernel over whole columns.
//! - **Row-parallel**: the interpreter runs per item inside partitions on rayon's pool.
//! - **Blocking**: the processor waits (Wait states, retry intervals, tasks that run a
//!   command or an unknown resource); iterations run on a separate bounded pool of
//!   threads so that no rayon worker ever blocks.
//! - **Sequential**: MaxConcurrency 1; items run one at a time in input order.

pub mod columnar;
mod explain;

use crate::asl::model::{Map, StateKind, StateMachine};
use crate::plan::columnar::ColumnarProgram;
use std::collections::HashMap;
use std::sync::Arc;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Strategy {
    Columnar,
    RowParallel,
    Blocking,
    Sequential,
}

impl Strategy {
    pub fn name(self) -> &'static str {
        match self {
            Strategy::Columnar => "columnar",
            Strategy::RowParallel => "row-parallel",
            Strategy::Blocking => "blocking",
            Strategy::Sequential => "sequential",
        }
    }
}

/// What the planner needs to know of the Task resources an execution will have: whether
/// a resource's handler blocks its thread (a command, a callback). The executor's task
/// registry answers it, so the plan depends on this question, not on the executor.
pub trait BlockingTasks {
    fn is_blocking(&self, resource: &str) -> bool;
}

impl<T: BlockingTasks + ?Sized> BlockingTasks for Arc<T> {
    fn is_blocking(&self, resource: &str) -> bool {
        T::is_blocking(self, resource)
    }
}

/// What the planner decided for one Map state.
#[derive(Debug, Clone)]
pub struct MapPlan {
    pub strategy: Strategy,
    /// Why, in words (shown by `asl explain`).
    pub reason: String,
    /// The compiled columnar program, when the processor has one; a columnar Map still
    /// falls back to rows for partitions the kernels can't take.
    pub columnar: Option<Arc<ColumnarProgram>>,
}

/// A state machine with its Map strategies. Maps are found by address: the model keeps
/// each Map boxed, so its address is stable for the plan's lifetime.
#[derive(Debug)]
pub struct Plan {
    pub machine: StateMachine,
    maps: HashMap<usize, MapPlan>,
}

impl Plan {
    /// Plans every Map of the machine. The registry tells which Task resources block
    /// (commands, unknown resources) and which are in-process handlers.
    pub fn new(machine: StateMachine, tasks: &dyn BlockingTasks) -> Plan {
        Self::with_options(machine, tasks, true)
    }

    /// `columnar: false` keeps every Map on rows (to compare strategies, or to rule the
    /// kernels out when investigating a difference).
    pub fn with_options(machine: StateMachine, tasks: &dyn BlockingTasks, columnar: bool) -> Plan {
        let mut maps = HashMap::new();
        visit_maps(&machine, &mut |m| {
            maps.insert(m as *const Map as usize, decide_with(m, tasks, columnar));
        });
        Plan { machine, maps }
    }

    pub fn map_plan(&self, m: &Map) -> Option<&MapPlan> {
        self.maps.get(&(m as *const Map as usize))
    }

    /// The plan in words: every state, and for each Map its strategy and why.
    pub fn explain(&self) -> String {
        explain::explain(self)
    }
}

fn visit_maps<'a>(sm: &'a StateMachine, f: &mut dyn FnMut(&'a Map)) {
    for st in &sm.states {
        match &st.kind {
            StateKind::Map(m) => {
                f(m);
                visit_maps(&m.processor, f);
            }
            StateKind::Parallel(p) => {
                for b in &p.branches {
                    visit_maps(b, f);
                }
            }
            _ => {}
        }
    }
}

/// Decides the strategy of one Map.
pub fn decide(m: &Map, tasks: &dyn BlockingTasks) -> MapPlan {
    decide_with(m, tasks, true)
}

pub(crate) fn decide_with(m: &Map, tasks: &dyn BlockingTasks, allow_columnar: bool) -> MapPlan {
    let plan = |strategy, reason: String, columnar| MapPlan {
        strategy,
        reason,
        columnar,
    };
    if let Some(why) = blocking_reason(&m.processor, tasks) {
        return plan(Strategy::Blocking, why, None);
    }
    if let Some(crate::asl::model::Dynamic::Value(1)) = m.max_concurrency {
        return plan(
            Strategy::Sequential,
            "MaxConcurrency is 1: items run one at a time in input order".into(),
            None,
        );
    }
    if !allow_columnar {
        return plan(
            Strategy::RowParallel,
            "the columnar strategy is turned off".into(),
            None,
        );
    }
    let compiled = match &m.item_selector_ata {
        Some(_) => Err("a JSONata ItemSelector has no columnar form".to_string()),
        None => ColumnarProgram::compile(&m.processor, m.item_selector.as_ref()),
    };
    match compiled {
        Ok(p) => plan(
            Strategy::Columnar,
            "every state of the item processor has an Arrow-kernel form (partitions the kernels \
             can't take run as rows)"
                .into(),
            Some(Arc::new(p)),
        ),
        Err(why) => plan(
            Strategy::RowParallel,
            format!("the interpreter runs per item on the work-stealing pool; not columnar: {why}"),
            None,
        ),
    }
}

/// Why a processor would block a thread, if it would: a Wait state, a retry interval,
/// or a Task whose resource runs a command or has no in-process handler.
pub fn blocking_reason(sm: &StateMachine, tasks: &dyn BlockingTasks) -> Option<String> {
    for st in &sm.states {
        if st
            .retry
            .iter()
            .any(|r| r.max_attempts > 0 && r.interval_seconds > 0.0)
        {
            return Some(format!("state '{}' retries after an interval", st.name));
        }
        match &st.kind {
            StateKind::Wait(_) => return Some(format!("state '{}' is a Wait state", st.name)),
            StateKind::Task(t) if tasks.is_blocking(&t.resource) => {
                return Some(format!(
                    "state '{}' runs a task that blocks ({})",
                    st.name, t.resource
                ));
            }
            StateKind::Map(inner) => {
                if let Some(why) = blocking_reason(&inner.processor, tasks) {
                    return Some(why);
                }
            }
            StateKind::Parallel(p) => {
                for b in &p.branches {
                    if let Some(why) = blocking_reason(b, tasks) {
                        return Some(why);
                    }
                }
            }
            _ => {}
        }
    }
    None
}
