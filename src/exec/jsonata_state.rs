//! JSONata states: `$states` (input, result, errorOutput, context), Arguments, Output,
//! Assign and the JSONata forms of the other fields, as Step Functions evaluates them.
//! Assign is evaluated before Output and both see the variables as they were when the
//! state was entered; the new values are set when the state ends (as for JSONPath).

use super::context::{StateEnv, Vars, build_context, build_context_with};
use super::dataflow::set_vars;
use super::run::{Run, ScopeFacts, Step};
use crate::asl::Failure;
use crate::asl::failure::names;
use crate::asl::model::template::to_compact;
use crate::asl::model::{Ata, AtaFields, State, StateKind, Transition};
use crate::jsonata::Bindings;
use serde_json::{Map, Value};
use std::borrow::Cow;

/// What a JSONata expression sees: `$states` and the workflow variables.
///
/// `$states.input` is held apart (borrowed when the state's input is): the evaluator
/// takes `$states` as its fields ([`Bindings::fields`]), converting only the parts an
/// expression reads, so a state never copies a large input just to bind it.
pub(crate) struct AtaBindings<'a> {
    vars: &'a Vars<'a>,
    input: Cow<'a, Value>,
    /// The other fields: context, result, errorOutput.
    rest: Map<String, Value>,
    /// The whole `$states` object, built only if someone asks for it by [`Bindings::get`].
    whole: std::cell::OnceCell<Value>,
}

impl<'a> AtaBindings<'a> {
    pub fn new(vars: &'a Vars<'a>, input: Cow<'a, Value>, context: Option<Value>) -> Self {
        let mut rest = Map::new();
        if let Some(c) = context {
            rest.insert("context".into(), c);
        }
        AtaBindings {
            vars,
            input,
            rest,
            whole: std::cell::OnceCell::new(),
        }
    }
    pub fn set(&mut self, key: &str, v: Value) {
        self.whole = std::cell::OnceCell::new();
        self.rest.insert(key.to_string(), v);
    }
    pub fn get_states(&self, key: &str) -> Option<&Value> {
        match key {
            "input" => Some(self.input.as_ref()),
            _ => self.rest.get(key),
        }
    }
    pub fn take(&mut self, key: &str) -> Option<Value> {
        self.whole = std::cell::OnceCell::new();
        match key {
            "input" => {
                Some(std::mem::replace(&mut self.input, Cow::Owned(Value::Null)).into_owned())
            }
            _ => self.rest.shift_remove(key),
        }
    }
}

impl Bindings for AtaBindings<'_> {
    fn get(&self, name: &str) -> Option<&Value> {
        if name == "states" {
            Some(self.whole.get_or_init(|| {
                let mut m = Map::with_capacity(self.rest.len() + 1);
                m.insert("input".into(), self.input.as_ref().clone());
                for (k, v) in &self.rest {
                    m.insert(k.clone(), v.clone());
                }
                Value::Object(m)
            }))
        } else {
            self.vars.get(name)
        }
    }

    fn fields(&self, name: &str) -> Option<Vec<(&str, &Value)>> {
        (name == "states").then(|| {
            let mut f = Vec::with_capacity(self.rest.len() + 1);
            f.push(("input", self.input.as_ref()));
            f.extend(self.rest.iter().map(|(k, v)| (k.as_str(), v)));
            f
        })
    }
}

/// Whether an expression may read `$states.context` (so the context object, which
/// holds the whole execution input, is built for it): it mentions `context`, or uses
/// `$states` other than through `.input`, `.result` or `.errorOutput`.
fn reads_context(src: &str) -> bool {
    if src.contains("context") {
        return true;
    }
    let mut rest = src;
    while let Some(i) = rest.find("$states") {
        let after = &rest[i + "$states".len()..];
        if !(after.starts_with(".input")
            || after.starts_with(".result")
            || after.starts_with(".errorOutput"))
        {
            return true;
        }
        rest = after;
    }
    false
}

/// Whether any expression of the state mentions `Execution` (only then does its
/// context object carry the execution input).
fn mentions_execution(st: &State) -> bool {
    let m = |a: &Option<Ata>| {
        a.as_ref().is_some_and(|a| {
            a.any_source(&|s: &str| {
                s.contains("Execution") || (reads_context(s) && !s.contains("context"))
            })
        })
    };
    let f = st.ata.as_deref();
    f.is_some_and(|f| m(&f.arguments) || m(&f.output) || m(&f.assign))
        || match &st.kind {
            StateKind::Map(mp) => m(&mp.items),
            StateKind::Choice(c) => c.choices.iter().any(|b| m(&b.condition)),
            _ => true,
        }
}

/// The context object for a template, if it reads one (with the execution input only
/// if it mentions `Execution`).
pub(crate) fn context_for(
    t: &Ata,
    exec: &super::context::ExecutionInfo,
    facts: &super::context::StateFacts<'_>,
) -> Option<Value> {
    t.any_source(&reads_context).then(|| {
        build_context_with(
            exec,
            facts,
            t.any_source(&|s: &str| s.contains("Execution")),
        )
    })
}

/// `$states.input` for a per-item template (ItemSelector): the Map's input, copied only
/// if the template can read it (the Map's input can be large, the items many).
pub(crate) fn input_if_read<'v>(t: &Ata, input: &'v Value) -> Cow<'v, Value> {
    if t.any_source(&|s: &str| s.contains("input") || reads_context(s)) {
        Cow::Borrowed(input)
    } else {
        Cow::Owned(Value::Null)
    }
}

/// Whether any JSONata field of the state reads the context object.
fn needs_context(st: &State) -> bool {
    let t = |a: &Option<Ata>| a.as_ref().is_some_and(|a| a.any_source(&reads_context));
    let fields = st
        .ata
        .as_deref()
        .is_some_and(|f| t(&f.arguments) || t(&f.output) || t(&f.assign));
    let kind = match &st.kind {
        StateKind::Map(m) => t(&m.items) || t(&m.item_selector_ata),
        StateKind::Choice(c) => c.choices.iter().any(|b| {
            t(&b.condition) || b.ata.as_deref().is_some_and(|f| t(&f.output) || t(&f.assign))
        }),
        StateKind::Wait(w) => match &w.wait {
            crate::asl::model::WaitFor::Ata { expr, .. } => expr.any_source(&reads_context),
            _ => false,
        },
        StateKind::Fail(f) => [&f.error, &f.cause].iter().any(|x| {
            matches!(x, Some(crate::asl::model::FailField::Ata(a)) if a.any_source(&reads_context))
        }),
        _ => false,
    };
    fields || kind
}

/// Assign: an object whose values are templates; the (name, value) pairs to set.
pub(crate) fn eval_assign(t: &Ata, b: &dyn Bindings) -> Result<Vec<(String, Value)>, Failure> {
    match t {
        Ata::Object(fields) => {
            let mut out = Vec::with_capacity(fields.len());
            for (k, v) in fields {
                out.push((k.clone(), v.eval(&format!("Assign/{k}"), b)?));
            }
            Ok(out)
        }
        Ata::Literal(Value::Object(m)) => {
            Ok(m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
        }
        other => match other.eval("Assign", b)? {
            Value::Object(m) => Ok(m.into_iter().collect()),
            _ => Ok(Vec::new()),
        },
    }
}

impl Run<'_> {
    /// One attempt at a JSONata state.
    pub(crate) fn attempt_ata(
        &self,
        st: &State,
        raw: Cow<'_, Value>,
        vars: &mut Vars<'_>,
        scope: ScopeFacts<'_>,
        entered_time: Option<chrono::DateTime<chrono::Utc>>,
        retry: u32,
    ) -> Result<Step, Failure> {
        let empty = AtaFields::default();
        let f = st.ata.as_deref().unwrap_or(&empty);
        let mut facts = self.facts(st, entered_time, retry, scope);
        let token = self.task_token(st, &facts);
        facts.task_token = token.as_deref();
        let next = match st.transition {
            Transition::Next(n) => Some(n),
            _ => None,
        };
        let vars_ro: &Vars<'_> = vars;
        let context = needs_context(st)
            .then(|| build_context_with(&self.info, &facts, mentions_execution(st)));
        let mut b = AtaBindings::new(vars_ro, Cow::Borrowed(raw.as_ref()), context);
        // The result: what the state produced, before Output.
        let result: Option<Value> = {
            let mut env = StateEnv::new(&raw, &self.info, facts, vars_ro);
            env.ata = Some(&b);
            match &st.kind {
                StateKind::Pass(_) | StateKind::Succeed => None,
                StateKind::Wait(w) => {
                    // TestState does not wait.
                    if !self.is_inspected(st) {
                        self.wait(&w.wait, &env)?;
                    }
                    None
                }
                StateKind::Task(t) => {
                    let args = match &f.arguments {
                        Some(a) => a.eval("Arguments", &b)?,
                        None => raw.as_ref().clone(),
                    };
                    self.record(st, "afterArguments", || args.clone());
                    let result = self.run_task(st, t, args, &env)?;
                    self.record(st, "result", || result.clone());
                    Some(result)
                }
                StateKind::Parallel(p) => {
                    let args = match &f.arguments {
                        Some(a) => a.eval("Arguments", &b)?,
                        None => raw.as_ref().clone(),
                    };
                    self.record(st, "afterArguments", || args.clone());
                    let result = match self.mocked_state(st) {
                        Some(r) => r?,
                        None => self.run_parallel(p, args, &env)?,
                    };
                    self.record(st, "result", || result.clone());
                    Some(result)
                }
                StateKind::Map(m) => {
                    let result = match self.mocked_state(st) {
                        Some(r) => self.tested_map(st, m, &env, r)?,
                        None => self.run_map(st, m, &env)?,
                    };
                    self.record(st, "result", || result.clone());
                    Some(result)
                }
                StateKind::Fail(fl) => {
                    let error = self.fail_field(fl.error.as_ref(), "ErrorPath", &env)?;
                    let cause = self.fail_field(fl.cause.as_ref(), "CausePath", &env)?;
                    return Err(Failure { error, cause });
                }
                StateKind::Choice(c) => {
                    let mut chosen = None;
                    for br in &c.choices {
                        let Some(cond) = &br.condition else { continue };
                        match cond.eval("Condition", &b)? {
                            Value::Bool(true) => {
                                chosen = Some(br);
                                break;
                            }
                            Value::Bool(false) => {}
                            other => {
                                return Err(Failure::new(
                                    names::QUERY_EVALUATION_ERROR,
                                    format!(
                                        "The JSONata expression '{}' specified for the field 'Condition' returned an unexpected result type. Expected 'boolean', but was: {}",
                                        cond.as_expr().map(|e| e.source()).unwrap_or_default(),
                                        to_compact(&other)
                                    ),
                                ));
                            }
                        }
                    }
                    let target = match (chosen, c.default) {
                        (Some(br), _) => br.next,
                        (None, Some(d)) => d,
                        (None, None) => {
                            return Err(Failure::new(
                                names::NO_CHOICE_MATCHED,
                                format!("No Matches! Input: {}", to_compact(&raw)),
                            ));
                        }
                    };
                    // A rule's own Assign and Output come with the state's.
                    let mut assigned = match &f.assign {
                        Some(a) => eval_assign(a, &b)?,
                        None => Vec::new(),
                    };
                    let rule = chosen.and_then(|br| br.ata.as_deref());
                    if let Some(a) = rule.and_then(|r| r.assign.as_ref()) {
                        assigned.extend(eval_assign(a, &b)?);
                    }
                    let output = match rule.and_then(|r| r.output.as_ref()).or(f.output.as_ref()) {
                        Some(o) => o.eval("Output", &b)?,
                        None => b.get_states("input").cloned().unwrap_or(Value::Null),
                    };
                    drop(env);
                    drop(b);
                    set_vars(vars, assigned);
                    return Ok(Step {
                        output,
                        next: Some(target),
                    });
                }
            }
        };
        if let Some(r) = result {
            b.set("result", r);
        }
        let assigned = match &f.assign {
            Some(a) => Some(eval_assign(a, &b)?),
            None => None,
        };
        let output = match &f.output {
            Some(o) => o.eval("Output", &b)?,
            None => match st.kind {
                StateKind::Task(_) | StateKind::Parallel(_) | StateKind::Map(_) => {
                    b.take("result").unwrap_or(Value::Null)
                }
                _ => b.take("input").unwrap_or(Value::Null),
            },
        };
        drop(b);
        if let Some(a) = assigned {
            set_vars(vars, a);
        }
        let next = match st.kind {
            StateKind::Succeed => None,
            _ => next,
        };
        Ok(Step { output, next })
    }

    /// A JSONata Catch: `$states.errorOutput`, the catcher's Assign and Output.
    pub(crate) fn catch_ata(
        &self,
        c: &crate::asl::model::Catcher,
        raw: &Value,
        err_out: Value,
        vars: &mut Vars<'_>,
        facts: super::context::StateFacts<'_>,
    ) -> Result<Value, Failure> {
        let empty = AtaFields::default();
        let f = c.ata.as_deref().unwrap_or(&empty);
        let vars_ro: &Vars<'_> = vars;
        let mut b = AtaBindings::new(
            vars_ro,
            Cow::Borrowed(raw),
            Some(build_context(&self.info, &facts)),
        );
        b.set("errorOutput", err_out);
        let assigned = match &f.assign {
            Some(a) => Some(eval_assign(a, &b)?),
            None => None,
        };
        let output = match &f.output {
            Some(o) => o.eval("Output", &b)?,
            None => b.take("errorOutput").unwrap_or(Value::Null),
        };
        drop(b);
        if let Some(a) = assigned {
            set_vars(vars, a);
        }
        Ok(output)
    }
}
