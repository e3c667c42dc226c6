//! Builds the typed [`StateMachine`] from a definition. The validator runs first, so
//! shapes are known to be right; anything still unexpected becomes a diagnostic,
//! never a panic.

use super::*;
use crate::asl::choice::Rule;
use crate::asl::intrinsic::{self, Call};
use crate::asl::path::JsonPath;
use crate::asl::validate::{self, Diagnostic, Options};
use crate::error::{Error, Result};
use serde_json::{Map as JsonMap, Value};

/// Parses (JSON or YAML), validates and loads a definition.
pub fn load_text(text: &str) -> Result<StateMachine> {
    let (value, mut diags) =
        validate::parse_definition(text).map_err(|d| Error::Invalid(vec![d]))?;
    diags.extend(validate::validate_value(&value, &Options::default()));
    if !diags.is_empty() {
        return Err(Error::Invalid(diags));
    }
    load_checked(&value)
}

/// Validates and loads a definition already parsed into JSON.
pub fn load_value(def: &Value) -> Result<StateMachine> {
    let diags = validate::validate_value(def, &Options::default());
    if !diags.is_empty() {
        return Err(Error::Invalid(diags));
    }
    load_checked(def)
}

fn load_checked(def: &Value) -> Result<StateMachine> {
    let mut l = Loader { diags: Vec::new() };
    let sm = l.machine(def, "", QueryLanguage::JsonPath);
    if l.diags.is_empty() {
        sm.ok_or_else(|| Error::Invalid(vec![diag("", None, "the definition could not be loaded")]))
    } else {
        Err(Error::Invalid(l.diags))
    }
}

fn diag(ptr: &str, state: Option<&str>, msg: impl Into<String>) -> Diagnostic {
    Diagnostic {
        pointer: ptr.to_string(),
        state: state.map(str::to_string),
        code: "load",
        message: msg.into(),
    }
}

fn esc(s: &str) -> String {
    s.replace('~', "~0").replace('/', "~1")
}

struct Loader {
    diags: Vec<Diagnostic>,
}

impl Loader {
    fn machine(&mut self, def: &Value, ptr: &str, outer_ql: QueryLanguage) -> Option<StateMachine> {
        let obj = def.as_object()?;
        let ql = match obj.get("QueryLanguage").and_then(Value::as_str) {
            Some("JSONata") => QueryLanguage::JsonAta,
            Some(_) => QueryLanguage::JsonPath,
            None => outer_ql,
        };
        let states = obj.get("States")?.as_object()?;
        let mut by_name = HashMap::with_capacity(states.len());
        for (i, name) in states.keys().enumerate() {
            by_name.insert(name.clone(), StateId(i as u32));
        }
        let start_name = obj.get("StartAt").and_then(Value::as_str).unwrap_or("");
        let Some(start_at) = by_name.get(start_name).copied() else {
            self.diags.push(diag(
                &format!("{ptr}/StartAt"),
                None,
                format!("StartAt names no state: '{start_name}'"),
            ));
            return None;
        };
        let mut out = Vec::with_capacity(states.len());
        for (name, s) in states {
            let sptr = format!("{ptr}/States/{}", esc(name));
            match self.state(name, s, &sptr, &by_name, ql) {
                Some(st) => out.push(st),
                None => return None,
            }
        }
        Some(StateMachine {
            comment: obj
                .get("Comment")
                .and_then(Value::as_str)
                .map(str::to_string),
            start_at,
            states: out,
            by_name,
            timeout_seconds: obj.get("TimeoutSeconds").and_then(Value::as_u64),
            query_language: ql,
        })
    }

    fn fail<T>(&mut self, ptr: &str, state: &str, msg: impl Into<String>) -> Option<T> {
        self.diags.push(diag(ptr, Some(state), msg));
        None
    }

    fn path(&mut self, v: Option<&Value>, ptr: &str, state: &str) -> Option<PathField> {
        match v {
            None => Some(PathField::Default),
            Some(Value::Null) => Some(PathField::Null),
            Some(Value::String(s)) => match JsonPath::parse(s) {
                Ok(p) => Some(PathField::Path(p)),
                Err(e) => self.fail(ptr, state, e.message),
            },
            Some(_) => self.fail(ptr, state, "expected a path string or null"),
        }
    }

    fn jpath(&mut self, v: &Value, ptr: &str, state: &str) -> Option<JsonPath> {
        match v.as_str().map(JsonPath::parse) {
            Some(Ok(p)) => Some(p),
            Some(Err(e)) => self.fail(ptr, state, e.message),
            None => self.fail(ptr, state, "expected a path string"),
        }
    }

    fn template(&mut self, v: Option<&Value>, ptr: &str, state: &str) -> Option<Option<Template>> {
        match v {
            None => Some(None),
            Some(v) => match Template::compile(v) {
                Ok(t) => Some(Some(t)),
                Err((sub, msg)) => self.fail(&format!("{ptr}{sub}"), state, msg),
            },
        }
    }

    fn next(
        &mut self,
        o: &JsonMap<String, Value>,
        ptr: &str,
        state: &str,
        names: &HashMap<String, StateId>,
    ) -> Option<Transition> {
        if let Some(n) = o.get("Next") {
            self.target(names, n.as_str().unwrap_or(""), "Next", ptr, state)
                .map(Transition::Next)
        } else if o.get("End").and_then(Value::as_bool) == Some(true) {
            Some(Transition::End)
        } else {
            Some(Transition::None)
        }
    }

    /// The state a `Next` or `Default` field names, in this scope.
    fn target(
        &mut self,
        names: &HashMap<String, StateId>,
        target: &str,
        field: &str,
        ptr: &str,
        state: &str,
    ) -> Option<StateId> {
        match names.get(target) {
            Some(id) => Some(*id),
            None => self.fail(
                &format!("{ptr}/{field}"),
                state,
                format!("{field} names no state in this scope: '{target}'"),
            ),
        }
    }

    /// A JSONata field (absent: None).
    fn ata(&mut self, v: Option<&Value>, ptr: &str, state: &str) -> Option<Option<Ata>> {
        match v {
            None => Some(None),
            Some(v) => match Ata::compile(v) {
                Ok(t) => Some(Some(t)),
                Err((sub, msg)) => self.fail(&format!("{ptr}{sub}"), state, msg),
            },
        }
    }

    /// Arguments, Output and Assign of a JSONata state (or Choice rule, or Catcher).
    fn ata_fields(
        &mut self,
        o: &JsonMap<String, Value>,
        ptr: &str,
        state: &str,
    ) -> Option<Option<Box<AtaFields>>> {
        let f = AtaFields {
            arguments: self.ata(o.get("Arguments"), &format!("{ptr}/Arguments"), state)?,
            output: self.ata(o.get("Output"), &format!("{ptr}/Output"), state)?,
            assign: self.ata(o.get("Assign"), &format!("{ptr}/Assign"), state)?,
        };
        Some(Some(Box::new(f)))
    }

    /// A number field that may be a JSONata expression.
    fn dynamic_ata<T>(
        &mut self,
        v: &Value,
        ptr: &str,
        state: &str,
        lit: impl Fn(&Value) -> Option<T>,
    ) -> Option<Option<Dynamic<T>>> {
        match v
            .as_str()
            .and_then(crate::asl::model::jsonata::expression_text)
        {
            Some(_) => self.ata(Some(v), ptr, state).map(|t| t.map(Dynamic::Ata)),
            None => Some(lit(v).map(Dynamic::Value)),
        }
    }

    fn dynamic_u64(
        &mut self,
        o: &JsonMap<String, Value>,
        field: &str,
        ptr: &str,
        state: &str,
    ) -> Option<Option<Dynamic<u64>>> {
        if let Some(v) = o.get(field) {
            return self.dynamic_ata(v, &format!("{ptr}/{field}"), state, Value::as_u64);
        }
        let pf = format!("{field}Path");
        match o.get(&pf) {
            Some(v) => self
                .jpath(v, &format!("{ptr}/{pf}"), state)
                .map(|p| Some(Dynamic::Path(p))),
            None => Some(None),
        }
    }

    fn state(
        &mut self,
        name: &str,
        s: &Value,
        ptr: &str,
        names: &HashMap<String, StateId>,
        outer_ql: QueryLanguage,
    ) -> Option<State> {
        let o = s.as_object()?;
        let ql = match o.get("QueryLanguage").and_then(Value::as_str) {
            Some("JSONata") => QueryLanguage::JsonAta,
            Some(_) => QueryLanguage::JsonPath,
            None => outer_ql,
        };
        let ty = o.get("Type").and_then(Value::as_str).unwrap_or("");
        let io = Io {
            input_path: self.path(o.get("InputPath"), &format!("{ptr}/InputPath"), name)?,
            parameters: if ty == "Map" {
                None
            } else {
                self.template(o.get("Parameters"), &format!("{ptr}/Parameters"), name)?
            },
            result_selector: self.template(
                o.get("ResultSelector"),
                &format!("{ptr}/ResultSelector"),
                name,
            )?,
            result_path: self.path(o.get("ResultPath"), &format!("{ptr}/ResultPath"), name)?,
            output_path: self.path(o.get("OutputPath"), &format!("{ptr}/OutputPath"), name)?,
        };
        let kind = match ty {
            "Pass" => StateKind::Pass(Pass {
                result: o.get("Result").cloned(),
            }),
            "Task" => StateKind::Task(Box::new(Task {
                resource: o
                    .get("Resource")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string(),
                timeout_seconds: self.dynamic_u64(o, "TimeoutSeconds", ptr, name)?,
                heartbeat_seconds: self.dynamic_u64(o, "HeartbeatSeconds", ptr, name)?,
                credentials: o.get("Credentials").cloned(),
            })),
            "Choice" => {
                let mut choices = Vec::new();
                for (i, c) in o
                    .get("Choices")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .enumerate()
                {
                    let cptr = format!("{ptr}/Choices/{i}");
                    let (rule, condition, ata) = if ql == QueryLanguage::JsonAta {
                        let cond =
                            self.ata(c.get("Condition"), &format!("{cptr}/Condition"), name)?;
                        let co = c.as_object()?;
                        (None, cond, self.ata_fields(co, &cptr, name)?)
                    } else {
                        match Rule::parse(c) {
                            Ok(r) => (Some(r), None, None),
                            Err(m) => return self.fail(&cptr, name, m),
                        }
                    };
                    let n = c.get("Next").and_then(Value::as_str).unwrap_or("");
                    let next = self.target(names, n, "Next", &cptr, name)?;
                    let assign = if ql == QueryLanguage::JsonAta {
                        None
                    } else {
                        self.template(c.get("Assign"), &format!("{cptr}/Assign"), name)?
                    };
                    choices.push(ChoiceBranch {
                        rule,
                        condition,
                        next,
                        assign,
                        ata,
                    });
                }
                let default = match o.get("Default").and_then(Value::as_str) {
                    Some(d) => Some(self.target(names, d, "Default", ptr, name)?),
                    None => None,
                };
                StateKind::Choice(Choice { choices, default })
            }
            "Wait" => {
                let is_expr = |v: &Value| {
                    v.as_str()
                        .and_then(crate::asl::model::jsonata::expression_text)
                        .is_some()
                };
                let wait = if let Some(v) = o.get("Seconds").filter(|v| is_expr(v)) {
                    WaitFor::Ata {
                        expr: self.ata(Some(v), &format!("{ptr}/Seconds"), name)??,
                        timestamp: false,
                    }
                } else if let Some(v) = o.get("Timestamp").filter(|v| is_expr(v)) {
                    WaitFor::Ata {
                        expr: self.ata(Some(v), &format!("{ptr}/Timestamp"), name)??,
                        timestamp: true,
                    }
                } else if let Some(v) = o.get("Seconds") {
                    WaitFor::Seconds(v.as_f64().unwrap_or(0.0))
                } else if let Some(v) = o.get("Timestamp") {
                    WaitFor::Timestamp(v.as_str().unwrap_or("").to_string())
                } else if let Some(v) = o.get("SecondsPath") {
                    WaitFor::SecondsPath(self.jpath(v, &format!("{ptr}/SecondsPath"), name)?)
                } else if let Some(v) = o.get("TimestampPath") {
                    WaitFor::TimestampPath(self.jpath(v, &format!("{ptr}/TimestampPath"), name)?)
                } else {
                    return self.fail(
                        ptr,
                        name,
                        "a Wait state needs Seconds, Timestamp, SecondsPath or TimestampPath",
                    );
                };
                StateKind::Wait(Wait { wait })
            }
            "Succeed" => StateKind::Succeed,
            "Fail" => StateKind::Fail(Fail {
                error: self.fail_field(o, "Error", ptr, name)?,
                cause: self.fail_field(o, "Cause", ptr, name)?,
            }),
            "Parallel" => {
                let mut branches = Vec::new();
                for (i, b) in o
                    .get("Branches")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .enumerate()
                {
                    branches.push(self.machine(b, &format!("{ptr}/Branches/{i}"), ql)?);
                }
                StateKind::Parallel(Parallel { branches })
            }
            "Map" => StateKind::Map(Box::new(self.map(o, ptr, name, ql)?)),
            other => {
                return self.fail(
                    &format!("{ptr}/Type"),
                    name,
                    format!("unknown state type '{other}'"),
                );
            }
        };
        let mut retry = Vec::new();
        for r in o
            .get("Retry")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            retry.push(Retrier {
                error_equals: strings(r.get("ErrorEquals")),
                interval_seconds: r
                    .get("IntervalSeconds")
                    .and_then(Value::as_f64)
                    .unwrap_or(1.0),
                max_attempts: r
                    .get("MaxAttempts")
                    .and_then(Value::as_u64)
                    .unwrap_or(3)
                    .min(u32::MAX as u64) as u32,
                backoff_rate: r.get("BackoffRate").and_then(Value::as_f64).unwrap_or(2.0),
                max_delay_seconds: r.get("MaxDelaySeconds").and_then(Value::as_f64),
                jitter: if r.get("JitterStrategy").and_then(Value::as_str) == Some("FULL") {
                    Jitter::Full
                } else {
                    Jitter::None
                },
            });
        }
        let mut catch = Vec::new();
        for (i, c) in o
            .get("Catch")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
        {
            let cptr = format!("{ptr}/Catch/{i}");
            let n = c.get("Next").and_then(Value::as_str).unwrap_or("");
            let next = self.target(names, n, "Next", &cptr, name)?;
            catch.push(Catcher {
                error_equals: strings(c.get("ErrorEquals")),
                next,
                result_path: self.path(c.get("ResultPath"), &format!("{cptr}/ResultPath"), name)?,
                assign: if ql == QueryLanguage::JsonAta {
                    None
                } else {
                    self.template(c.get("Assign"), &format!("{cptr}/Assign"), name)?
                },
                ata: if ql == QueryLanguage::JsonAta {
                    self.ata_fields(c.as_object()?, &cptr, name)?
                } else {
                    None
                },
            });
        }
        let (assign, ata) = if ql == QueryLanguage::JsonAta {
            (None, self.ata_fields(o, ptr, name)?)
        } else {
            (
                self.template(o.get("Assign"), &format!("{ptr}/Assign"), name)?,
                None,
            )
        };
        Some(State {
            name: name.to_string(),
            comment: o.get("Comment").and_then(Value::as_str).map(str::to_string),
            ql,
            ata,
            io,
            assign,
            transition: self.next(o, ptr, name, names)?,
            retry,
            catch,
            kind,
        })
    }

    fn fail_field(
        &mut self,
        o: &JsonMap<String, Value>,
        field: &str,
        ptr: &str,
        state: &str,
    ) -> Option<Option<FailField>> {
        if let Some(v) = o.get(field) {
            if v.as_str()
                .and_then(crate::asl::model::jsonata::expression_text)
                .is_some()
            {
                return self
                    .ata(Some(v), &format!("{ptr}/{field}"), state)
                    .map(|t| t.map(FailField::Ata));
            }
            return Some(v.as_str().map(|s| FailField::Literal(s.to_string())));
        }
        let pf = format!("{field}Path");
        let Some(v) = o.get(&pf).and_then(Value::as_str) else {
            return Some(None);
        };
        if intrinsic::is_intrinsic(v) {
            match Call::parse(v) {
                Ok(c) => Some(Some(FailField::Intrinsic(c))),
                Err(e) => self.fail(&format!("{ptr}/{pf}"), state, e.message),
            }
        } else {
            self.jpath(&Value::String(v.to_string()), &format!("{ptr}/{pf}"), state)
                .map(|p| Some(FailField::Path(p)))
        }
    }

    fn map(
        &mut self,
        o: &JsonMap<String, Value>,
        ptr: &str,
        name: &str,
        ql: QueryLanguage,
    ) -> Option<Map> {
        let (proc_key, proc) = match (o.get("ItemProcessor"), o.get("Iterator")) {
            (Some(p), _) => ("ItemProcessor", p),
            (None, Some(p)) => ("Iterator", p),
            (None, None) => return self.fail(ptr, name, "a Map state needs an ItemProcessor"),
        };
        let processor = self.machine(proc, &format!("{ptr}/{proc_key}"), ql)?;
        let mode = match proc
            .pointer("/ProcessorConfig/Mode")
            .and_then(Value::as_str)
        {
            Some("DISTRIBUTED") => ProcessorMode::Distributed,
            _ => ProcessorMode::Inline,
        };
        let (sel_key, sel) = match (o.get("ItemSelector"), o.get("Parameters")) {
            (Some(s), _) => ("ItemSelector", Some(s)),
            (None, Some(p)) => ("Parameters", Some(p)),
            _ => ("ItemSelector", None),
        };
        let tfp = if let Some(v) = o.get("ToleratedFailurePercentage") {
            self.dynamic_ata(
                v,
                &format!("{ptr}/ToleratedFailurePercentage"),
                name,
                Value::as_f64,
            )?
        } else if let Some(v) = o.get("ToleratedFailurePercentagePath") {
            Some(Dynamic::Path(self.jpath(
                v,
                &format!("{ptr}/ToleratedFailurePercentagePath"),
                name,
            )?))
        } else {
            None
        };
        Some(Map {
            processor,
            mode,
            items_path: self.path(o.get("ItemsPath"), &format!("{ptr}/ItemsPath"), name)?,
            item_selector: if ql == QueryLanguage::JsonAta {
                None
            } else {
                self.template(sel, &format!("{ptr}/{sel_key}"), name)?
            },
            items: self.ata(o.get("Items"), &format!("{ptr}/Items"), name)?,
            item_selector_ata: if ql == QueryLanguage::JsonAta {
                self.ata(o.get("ItemSelector"), &format!("{ptr}/ItemSelector"), name)?
            } else {
                None
            },
            max_concurrency: self.dynamic_u64(o, "MaxConcurrency", ptr, name)?,
            tolerated_failure_percentage: tfp,
            tolerated_failure_count: self.dynamic_u64(o, "ToleratedFailureCount", ptr, name)?,
            label: o.get("Label").and_then(Value::as_str).map(str::to_string),
            item_reader: o.get("ItemReader").cloned(),
            item_batcher: o.get("ItemBatcher").cloned(),
            result_writer: o.get("ResultWriter").cloned(),
        })
    }
}

fn strings(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|s| s.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}
