//! What a state sees while it runs: its input, the context object (`$$`, built only
//! when a path asks for it) and the workflow variables of its scope.

use crate::asl::path::Env;
use serde_json::{Map, Value, json};
use std::cell::OnceCell;
use std::collections::HashMap;

/// Fixed facts about one execution.
#[derive(Debug, Clone)]
pub struct ExecutionInfo {
    pub id: String,
    pub name: String,
    /// Shared, so a caller can run many executions on one input without copying it.
    pub input: std::sync::Arc<Value>,
    pub start_time: String,
    pub role_arn: String,
    pub state_machine_id: String,
    pub state_machine_name: String,
    pub mode: super::ExecutionMode,
    /// TestState's `context`: its fields replace those of the context object the run
    /// would give (objects merged field by field).
    pub context: Option<std::sync::Arc<Value>>,
    /// `$$.Execution.RedriveCount`.
    pub redrive_count: u32,
}

/// Variables of one scope (the top level, a Map iteration or a Parallel branch);
/// reads fall through to the enclosing scopes.
#[derive(Debug, Default)]
pub struct Vars<'p> {
    parent: Option<&'p Vars<'p>>,
    local: HashMap<String, Value>,
}

impl<'p> Vars<'p> {
    pub fn root() -> Self {
        Vars {
            parent: None,
            local: HashMap::new(),
        }
    }
    pub fn child(parent: &'p Vars<'p>) -> Self {
        Vars {
            parent: Some(parent),
            local: HashMap::new(),
        }
    }
    pub fn get(&self, name: &str) -> Option<&Value> {
        let mut s = Some(self);
        while let Some(v) = s {
            if let Some(x) = v.local.get(name) {
                return Some(x);
            }
            s = v.parent;
        }
        None
    }
    pub fn set(&mut self, name: String, value: Value) {
        self.local.insert(name, value);
    }
    pub fn is_empty(&self) -> bool {
        self.local.is_empty() && self.parent.is_none_or(|p| p.is_empty())
    }
    /// This scope's own variables.
    pub fn locals(&self) -> &HashMap<String, Value> {
        &self.local
    }
}

/// Per-state facts for the context object.
#[derive(Clone, Copy)]
pub struct StateFacts<'a> {
    pub name: &'a str,
    /// None: read the clock when the context object is built.
    pub entered_time: Option<chrono::DateTime<chrono::Utc>>,
    pub clock: &'a dyn super::Clock,
    pub retry_count: u32,
    pub map_item: Option<(usize, &'a Value)>,
    pub task_token: Option<&'a str>,
    /// `$$.State.RetryCount` is only present in Task states.
    pub is_task: bool,
    /// With a journal: the key of this state entry (see `journal`).
    pub state_key: Option<&'a str>,
    /// The id of the state's entered event.
    pub entered_id: u64,
}

pub struct StateEnv<'a> {
    pub input: &'a Value,
    pub exec: &'a ExecutionInfo,
    pub state: StateFacts<'a>,
    pub vars: &'a Vars<'a>,
    /// In a JSONata state: `$states` and the variables, for `{% %}` fields.
    pub ata: Option<&'a dyn crate::jsonata::Bindings>,
    context: OnceCell<Value>,
    light: OnceCell<Value>,
}

impl<'a> StateEnv<'a> {
    pub fn new(
        input: &'a Value,
        exec: &'a ExecutionInfo,
        state: StateFacts<'a>,
        vars: &'a Vars<'a>,
    ) -> Self {
        StateEnv {
            input,
            exec,
            state,
            vars,
            ata: None,
            context: OnceCell::new(),
            light: OnceCell::new(),
        }
    }
    /// The same env with another `$` root.
    pub fn with_input<'b>(&'b self, input: &'b Value) -> StateEnv<'b> {
        StateEnv {
            input,
            exec: self.exec,
            state: self.state,
            vars: self.vars,
            ata: self.ata,
            context: OnceCell::new(),
            light: OnceCell::new(),
        }
    }
}

impl Env for StateEnv<'_> {
    fn input(&self) -> &Value {
        self.input
    }
    fn context(&self) -> &Value {
        self.context
            .get_or_init(|| build_context(self.exec, &self.state))
    }
    fn context_without_input(&self) -> &Value {
        if let Some(full) = self.context.get() {
            return full;
        }
        self.light
            .get_or_init(|| build_context_with(self.exec, &self.state, false))
    }
    fn variable(&self, name: &str) -> Option<&Value> {
        self.vars.get(name)
    }
}

pub fn build_context(exec: &ExecutionInfo, st: &StateFacts<'_>) -> Value {
    build_context_with(exec, st, true)
}

/// The context object; without `Execution.Input` when `with_input` is false (a path or
/// expression that can't read it).
pub fn build_context_with(exec: &ExecutionInfo, st: &StateFacts<'_>, with_input: bool) -> Value {
    let mut ctx = Map::new();
    let mut execution = json!({
        "Id": exec.id,
        "StartTime": exec.start_time,
        "Name": exec.name,
        "RoleArn": exec.role_arn,
    });
    if with_input {
        execution["Input"] = exec.input.as_ref().clone();
    }
    if exec.mode != super::ExecutionMode::ExpressSync {
        execution["RedriveCount"] = json!(exec.redrive_count);
    }
    ctx.insert("Execution".into(), execution);
    ctx.insert(
        "StateMachine".into(),
        json!({ "Id": exec.state_machine_id, "Name": exec.state_machine_name }),
    );
    let mut state = json!({ "Name": st.name, "EnteredTime": super::clock::format_time(st.entered_time.unwrap_or_else(|| st.clock.now())) });
    if st.is_task {
        state["RetryCount"] = json!(st.retry_count);
    }
    ctx.insert("State".into(), state);
    if let Some(tok) = st.task_token {
        ctx.insert("Task".into(), json!({ "Token": tok }));
    }
    if let Some((i, v)) = st.map_item {
        ctx.insert("Map".into(), json!({ "Item": { "Index": i, "Value": v } }));
    }
    let mut ctx = Value::Object(ctx);
    if let Some(given) = &exec.context {
        merge(&mut ctx, given);
    }
    ctx
}

/// `over`'s fields replace `into`'s, objects merged field by field.
fn merge(into: &mut Value, over: &Value) {
    match (into, over) {
        (Value::Object(a), Value::Object(b)) => {
            for (k, v) in b {
                match a.get_mut(k) {
                    Some(slot) => merge(slot, v),
                    None => {
                        a.insert(k.clone(), v.clone());
                    }
                }
            }
        }
        (slot, v) => *slot = v.clone(),
    }
}
