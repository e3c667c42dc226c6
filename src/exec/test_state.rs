//! TestState: one state run alone, as AWS's TestState API runs it. The state is
//! given alone (its `Next` targets need not exist) or by `stateName` in a whole
//! definition; it runs once with the input and variables given, its Task either
//! mocked (a result or an error) or running its real resource. The answer says what
//! happened as AWS says it: `status` SUCCEEDED, FAILED, RETRIABLE (a Retrier matches
//! and has attempts left: reported, not waited for), or CAUGHT_ERROR (a Catcher took
//! the error: `output` is its output, `nextState` its Next); `inspectionData` at DEBUG
//! and TRACE gives each step's value (`input`, `afterInputPath`, `afterParameters`,
//! `result`, `afterResultSelector`, `afterResultPath`, `afterArguments`,
//! `variables`), TRACE also an HTTP Task's request and response. A Wait state does not
//! wait.

use super::context::Vars;
use super::mock::{MockedResponse, Outcome, TestCase};
use super::run::{Run, ScopeFacts, new_run};
use super::{Executor, RunOptions};
use crate::asl::Failure;
use crate::asl::model::State;
use serde_json::{Map, Value, json};
use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// How much the answer shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Level {
    #[default]
    Info,
    Debug,
    Trace,
}

impl Level {
    pub fn parse(s: &str) -> Option<Level> {
        Some(match s {
            "INFO" => Level::Info,
            "DEBUG" => Level::Debug,
            "TRACE" => Level::Trace,
            _ => return None,
        })
    }
}

/// What a Retrier or Catcher decided about the state's error.
#[derive(Debug, Clone)]
pub enum Decision {
    Retriable { index: usize, delay: f64 },
    Caught { index: usize, error: Failure },
}

/// The state under test and what was seen of it.
#[derive(Debug)]
pub struct Inspector {
    pub state: String,
    /// `stateConfiguration.retrierRetryCount`: the retries so far.
    pub retrier_retry_count: u32,
    /// `stateConfiguration.mapIterationFailureCount`: the Map's failed iterations.
    pub map_iteration_failure_count: Option<u32>,
    /// `stateConfiguration.mapItemReaderData`: what a Distributed Map's ItemReader
    /// would read, as found in its source (a JSON array, or JSON lines).
    pub map_item_reader_data: Option<String>,
    data: Mutex<Map<String, Value>>,
    decision: Mutex<Option<Decision>>,
}

impl Inspector {
    pub fn decided(&self, d: Decision) {
        *self.decision.lock().unwrap_or_else(|p| p.into_inner()) = Some(d);
    }
}

impl Run<'_> {
    /// Whether `st` is the state TestState runs.
    pub(crate) fn is_inspected(&self, st: &State) -> bool {
        self.inspect.as_ref().is_some_and(|t| t.state == st.name)
    }

    /// TestState's mock of a Map or Parallel state: its result, instead of running it.
    pub(crate) fn mocked_state(&self, st: &State) -> Option<Result<Value, Failure>> {
        self.mocks.as_ref()?.invoke(&st.name)
    }

    /// Records a step's value of the state under test (nothing otherwise).
    pub(crate) fn record(&self, st: &State, key: &str, value: impl FnOnce() -> Value) {
        if let Some(t) = self.inspect.as_ref().filter(|t| t.state == st.name) {
            t.data
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .insert(key.to_string(), value());
        }
    }
}

/// A mocked Task of TestState.
#[derive(Debug, Clone)]
pub enum Mock {
    Result(Value),
    Error(Failure),
}

/// What to test.
#[derive(Debug, Clone, Default)]
pub struct Request {
    /// A state (with `Type`), or a whole definition (with `States`).
    pub definition: Value,
    /// The state to test in a whole definition (default: its StartAt).
    pub state_name: Option<String>,
    pub input: Value,
    pub variables: Map<String, Value>,
    pub level: Level,
    pub mock: Option<Mock>,
    pub retrier_retry_count: u32,
    /// `stateConfiguration.mapIterationFailureCount` (a Map state).
    pub map_iteration_failure_count: Option<u32>,
    /// `stateConfiguration.mapItemReaderData` (a Distributed Map with an ItemReader).
    pub map_item_reader_data: Option<String>,
    /// `stateConfiguration.errorCausedByState`: the state inside a Map or Parallel
    /// that the mocked error comes from.
    pub error_caused_by_state: Option<String>,
    /// Show what connections add to an HTTP Task's request (TRACE).
    pub reveal_secrets: bool,
    /// The context object's fields to use (`$$.Execution.Id`, `$$.Task.Token`, …).
    pub context: Option<Value>,
    /// How a mocked result is checked against its API's response shape.
    pub field_validation: super::mock_shapes::Mode,
}

/// Why TestState refuses a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// The definition is not valid (every problem with its place).
    Definition(String),
    /// The request is not (a mock that doesn't fit its state).
    Request(String),
}

/// The answer, in TestState's shape (see [`Answer::to_json`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Answer {
    pub status: &'static str,
    pub output: Option<Value>,
    pub error: Option<String>,
    pub cause: Option<String>,
    pub next_state: Option<String>,
    pub inspection_data: Option<Map<String, Value>>,
}

impl Answer {
    /// The API's response: `output` as JSON text, `inspectionData`'s values as JSON
    /// text.
    pub fn to_json(&self) -> Value {
        let mut r = Map::new();
        if let Some(o) = &self.output {
            r.insert("output".into(), json!(o.to_string()));
        }
        if let Some(e) = &self.error {
            r.insert("error".into(), json!(e));
        }
        if let Some(c) = &self.cause {
            r.insert("cause".into(), json!(c));
        }
        if let Some(d) = &self.inspection_data {
            r.insert("inspectionData".into(), Value::Object(d.clone()));
        }
        if let Some(n) = &self.next_state {
            r.insert("nextState".into(), json!(n));
        }
        r.insert("status".into(), json!(self.status));
        Value::Object(r)
    }
}

/// The name a state given alone runs under.
const ALONE: &str = "TestState";

/// The state machine to run and the state's name: a state given alone gets a
/// machine of its own, its transitions leading to stand-in Succeed states.
fn machine_of(req: &Request) -> Result<(Value, String), String> {
    let d = req
        .definition
        .as_object()
        .ok_or("The definition must be a JSON object: a state, or a state machine")?;
    if d.contains_key("States") {
        let name = match &req.state_name {
            Some(n) => n.clone(),
            None => d
                .get("StartAt")
                .and_then(Value::as_str)
                .ok_or("The definition has no StartAt: give stateName")?
                .to_string(),
        };
        return Ok((req.definition.clone(), name));
    }
    if !d.contains_key("Type") {
        return Err("The definition must be a state (with Type) or a state machine (with StartAt and States)".into());
    }
    let name = req.state_name.clone().unwrap_or_else(|| ALONE.to_string());
    let mut state = d.clone();
    let ty = state.get("Type").and_then(Value::as_str).unwrap_or("");
    let ends = matches!(ty, "Choice" | "Succeed" | "Fail");
    if !ends && !state.contains_key("Next") && !state.contains_key("End") {
        state.insert("End".into(), json!(true));
    }
    let mut targets = Vec::new();
    let mut push = |v: Option<&Value>| {
        if let Some(t) = v.and_then(Value::as_str) {
            targets.push(t.to_string());
        }
    };
    push(state.get("Next"));
    push(state.get("Default"));
    for list in ["Choices", "Catch"] {
        for c in state
            .get(list)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            push(c.get("Next"));
        }
    }
    let mut states = Map::new();
    for t in targets {
        if t != name {
            states.insert(t, json!({"Type": "Succeed"}));
        }
    }
    states.insert(name.clone(), Value::Object(state.clone()));
    let mut machine = json!({"StartAt": name, "States": states});
    if let Some(ql) = state.get("QueryLanguage") {
        machine["QueryLanguage"] = ql.clone();
    }
    Ok((machine, name))
}

/// The state named `name` anywhere in `sm` (inside Maps and Parallels too), with the
/// scope that holds it.
fn find_state<'a>(
    sm: &'a crate::asl::model::StateMachine,
    name: &str,
) -> Option<(&'a crate::asl::model::StateMachine, &'a State)> {
    use crate::asl::model::StateKind;
    for st in &sm.states {
        if st.name == name {
            return Some((sm, st));
        }
        let inner = match &st.kind {
            StateKind::Map(m) => find_state(&m.processor, name),
            StateKind::Parallel(p) => p.branches.iter().find_map(|b| find_state(b, name)),
            _ => None,
        };
        if inner.is_some() {
            return inner;
        }
    }
    None
}

/// The states inside `st` (a Map's processor, a Parallel's branches), nested ones too.
fn inner_states(st: &State, out: &mut Vec<String>) {
    use crate::asl::model::StateKind;
    let machines: Vec<&crate::asl::model::StateMachine> = match &st.kind {
        StateKind::Map(m) => vec![&m.processor],
        StateKind::Parallel(p) => p.branches.iter().collect(),
        _ => return,
    };
    for sm in machines {
        for s in &sm.states {
            out.push(s.name.clone());
            inner_states(s, out);
        }
    }
}

/// `stateConfiguration` as AWS takes it: `mapIterationFailureCount` for a Map,
/// `errorCausedByState` naming a state inside the Map or Parallel under test, with a
/// mocked error.
fn check_configuration(st: &State, req: &Request) -> Result<(), String> {
    use crate::asl::model::StateKind;
    // Tasks that wait for an answer from outside (a token, a worker, a child) would
    // wait for ever here: they run only mocked.
    let mut waiting = None;
    let mut see = |s: &str, resource: &str| {
        if waiting.is_none() && crate::asl::model::waiting_pattern(resource).is_some() {
            waiting = Some(s.to_string());
        }
    };
    match &st.kind {
        StateKind::Task(t) => see(&st.name, &t.resource),
        StateKind::Map(m) => m.processor.for_each_task(&mut see),
        StateKind::Parallel(p) => p.branches.iter().for_each(|b| b.for_each_task(&mut see)),
        _ => {}
    }
    if let (None, Some(s)) = (&req.mock, waiting) {
        return Err(format!(
            "The Task '{s}' waits for an answer from outside (.waitForTaskToken, .sync or an activity): TestState runs it only with a mock"
        ));
    }
    if req.map_iteration_failure_count.is_some() && !matches!(st.kind, StateKind::Map(_)) {
        return Err(format!(
            "stateConfiguration.mapIterationFailureCount applies to a Map state; '{}' is a {} state",
            st.name,
            st.type_name()
        ));
    }
    if req.map_item_reader_data.is_some()
        && !matches!(&st.kind, StateKind::Map(m) if m.item_reader.is_some())
    {
        return Err(format!(
            "stateConfiguration.mapItemReaderData applies to a Map state with an ItemReader; '{}' has none",
            st.name
        ));
    }
    if let Some(name) = &req.error_caused_by_state {
        if !matches!(req.mock, Some(Mock::Error(_))) {
            return Err(
                "stateConfiguration.errorCausedByState needs a mocked error (mock.errorOutput)"
                    .into(),
            );
        }
        let mut inner = vec![st.name.clone()];
        inner_states(st, &mut inner);
        if !inner.contains(name) {
            return Err(format!(
                "stateConfiguration.errorCausedByState: '{name}' is not a state of '{}'",
                st.name
            ));
        }
    }
    Ok(())
}

/// Runs the state, unless the request is refused.
pub fn test_state(ex: &Executor, req: &Request) -> Result<Answer, Refusal> {
    let (machine, name) = machine_of(req).map_err(Refusal::Definition)?;
    let sm = crate::asl::model::load_value(&machine)
        .map_err(|e| match e {
            crate::error::Error::Invalid(diags) => diags
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("; "),
            other => other.to_string(),
        })
        .map_err(Refusal::Definition)?;
    // The state, and the scope it is in (the machine, a Map's processor, a branch).
    let Some((scope, st)) = find_state(&sm, &name) else {
        return Err(Refusal::Definition(format!(
            "The state '{name}' is not in the definition"
        )));
    };
    check_configuration(st, req).map_err(Refusal::Request)?;
    let test_case = match &req.mock {
        Some(m) => {
            use crate::asl::model::StateKind;
            if !matches!(
                st.kind,
                StateKind::Task(_) | StateKind::Map(_) | StateKind::Parallel(_)
            ) {
                return Err(Refusal::Request(format!(
                    "A mock applies to a Task, Map or Parallel state; '{name}' is a {} state",
                    st.type_name()
                )));
            }
            if let (Mock::Result(v), StateKind::Task(t)) = (m, &st.kind) {
                super::mock_shapes::check(&t.resource, v, req.field_validation)
                    .map_err(Refusal::Request)?;
            }
            let outcome = match m {
                Mock::Result(v) => Outcome::Return(v.clone()),
                Mock::Error(f) => Outcome::Throw(f.clone()),
            };
            let mut states = HashMap::new();
            states.insert(
                name.clone(),
                Arc::new(MockedResponse::always("mock", outcome)),
            );
            Some(Arc::new(TestCase {
                state_machine: "TestState".into(),
                name: "mock".into(),
                states,
            }))
        }
        None => None,
    };
    let opts = RunOptions {
        test_case,
        context: req.context.clone(),
        ..RunOptions::default()
    };
    let (mut run, _) = new_run(ex, &sm, None, Arc::new(req.input.clone()), &opts);
    run.inspect = Some(Inspector {
        state: name.clone(),
        retrier_retry_count: req.retrier_retry_count,
        map_iteration_failure_count: req.map_iteration_failure_count,
        map_item_reader_data: req.map_item_reader_data.clone(),
        data: Mutex::new(Map::new()),
        decision: Mutex::new(None),
    });
    let mut vars = Vars::root();
    for (k, v) in &req.variables {
        vars.set(k.clone(), v.clone());
    }
    let (result, exchange) = super::http_task::recording_exchanges(|| {
        run.run_state(
            st,
            Cow::Borrowed(&req.input),
            &mut vars,
            ScopeFacts::default(),
        )
    });
    let inspector = run.inspect.take();
    let (data, decision) = match inspector {
        Some(i) => (
            i.data.into_inner().unwrap_or_else(|p| p.into_inner()),
            i.decision.into_inner().unwrap_or_else(|p| p.into_inner()),
        ),
        None => (Map::new(), None),
    };
    let mut answer = Answer {
        status: "SUCCEEDED",
        output: None,
        error: None,
        cause: None,
        next_state: None,
        inspection_data: None,
    };
    let mut error_details = None;
    match result {
        Ok(step) => {
            answer.output = Some(step.output);
            answer.next_state = step.next.map(|n| scope.state(n).name.clone());
            if let Some(Decision::Caught { index, error }) = &decision {
                answer.status = "CAUGHT_ERROR";
                answer.error = error.error.clone();
                answer.cause = error.cause.clone();
                error_details = Some(json!({"catchIndex": index}));
            }
        }
        Err(f) => {
            answer.error = f.error;
            answer.cause = f.cause;
            answer.status = "FAILED";
            if let Some(Decision::Retriable { index, delay }) = &decision {
                answer.status = "RETRIABLE";
                answer.next_state = Some(name.clone());
                error_details = Some(json!({
                    "retryIndex": index,
                    "retryBackoffIntervalSeconds": delay.round() as u64,
                }));
            }
        }
    }
    if req.level != Level::Info {
        let mut d = Map::new();
        d.insert("input".into(), json!(req.input.to_string()));
        for (k, v) in data {
            // The Map's numbers are integers in the API's shape; the rest JSON text.
            let v = match k.as_str() {
                "maxConcurrency" | "toleratedFailureCount" | "toleratedFailurePercentage" => v,
                _ => json!(v.to_string()),
            };
            d.insert(k, v);
        }
        let variables: Map<String, Value> = vars
            .locals()
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        d.insert(
            "variables".into(),
            json!(Value::Object(variables).to_string()),
        );
        if let Some(e) = error_details {
            d.insert("errorDetails".into(), e);
        }
        if let (Level::Trace, Some((request, response))) = (req.level, exchange) {
            d.insert("request".into(), request.inspection(req.reveal_secrets));
            if let Some(r) = response {
                d.insert("response".into(), r.inspection());
            }
        }
        answer.inspection_data = Some(d);
    }
    Ok(answer)
}
