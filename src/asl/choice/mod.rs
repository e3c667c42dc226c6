//! Choice rules (JSONPath query language): the comparison operators, And/Or/Not,
//! the Is* type tests and StringMatches, evaluated as AWS Step Functions does.
//!
//! CONTRACT (keep these signatures):
//! - `Rule::parse(&Value) -> Result<Rule, String>` parses one rule object (a top-level
//!   rule still has its `Next`, which the caller reads; nested rules don't).
//! - `Rule::eval(&self, env: &dyn Env) -> Result<bool, Failure>`.
//!
//! Semantics (checked against AWS's recorded results, the `choice__*` cases; the
//! names in brackets are examples):
//! - A comparison whose variable has the wrong type is simply false, never an
//!   error: `NumericEquals` on a string, `null`, a boolean, an array or an object
//!   [numeric_equals-0, -21, -44, -28, -40]; `BooleanEquals` on `0`/`""`/`1`
//!   [boolean_equals-6, -10]; `StringEquals` on a number [string_equals-1]; a
//!   `Timestamp*` operator on a number or on a string that is not a timestamp
//!   [timestamp_equals-1, -7] (see [`parse_timestamp`]). A `...Path` operand of
//!   the wrong type is likewise false.
//! - Numbers compare by value: `1 == 1.0`, `0.0 == 0` [numeric_equals-15, -53;
//!   numeric_less_than_equals-1].
//! - Strings compare exactly, without trimming or normalisation
//!   [string_equals-13, -14], in Java's (UTF-16) order [string_less_than-1].
//! - Timestamps compare as instants, whatever their offsets.
//! - `IsPresent` is true for a present `null` [is_present-0]. `IsNull` is true
//!   only for `null`; `IsNumeric` only for JSON numbers, never numeric strings
//!   [is_numeric-*]; `IsString`/`IsBoolean` by JSON type; `IsTimestamp` for
//!   strings that [`parse_timestamp`] accepts.
//! - `IsPresent` is the only test allowed on a missing variable. Any other rule
//!   whose `Variable` (or `...Path` operand) selects nothing fails with
//!   `States.Runtime` and the cause
//!   `Invalid path '<path>': The choice state's condition path references an invalid value.`
//!   (AWS's text; the recorded cases have no example, so this follows AWS's
//!   documented behaviour). The caller prefixes the cause with
//!   `An error occurred while executing the state '<name>' (entered at the event id #<n>). `
//! - And/Or evaluate left to right and stop at the first deciding rule, so a
//!   later rule's missing path is not an error once the result is known.
//! - When no rule matches, the caller takes `Default` or fails with
//!   `States.NoChoiceMatched`; this module does not decide that.
//!
//! A rule object may carry `Comment`; a top-level one also `Next` and `Assign`,
//! which the caller reads. Anything else, a missing operator or several operators
//! is a parse error.

#[cfg(test)]
mod conformance_tests;
mod ops;
#[cfg(test)]
mod tests;

pub use ops::{Cmp, Op, Pattern, Test, cmp_numbers, cmp_strings, parse_timestamp};

use crate::asl::Failure;
use crate::asl::path::{Env, JsonPath};
use chrono::{DateTime, FixedOffset};
use serde_json::{Number, Value};
use std::borrow::Cow;

/// One Choice rule.
#[derive(Debug, Clone, PartialEq)]
pub enum Rule {
    /// `{"Variable": ..., "<Operator>": operand}`.
    Compare {
        variable: JsonPath,
        op: Op,
        operand: Operand,
    },
    And(Vec<Rule>),
    Or(Vec<Rule>),
    Not(Box<Rule>),
}

/// The right-hand side of a comparison, typed by its operator at parse time.
#[derive(Debug, Clone, PartialEq)]
pub enum Operand {
    /// `String*` operators.
    String(String),
    /// `Numeric*` operators.
    Number(Number),
    /// `BooleanEquals` and the `Is*` tests.
    Bool(bool),
    /// `Timestamp*` operators (the literal, already parsed).
    Timestamp(DateTime<FixedOffset>),
    /// `StringMatches`.
    Pattern(Pattern),
    /// Any `...Path` form: the operand is read from the same environment.
    Path(JsonPath),
}

/// The cause AWS gives when a rule's path selects nothing.
pub fn invalid_path_cause(path: &str) -> String {
    format!("Invalid path '{path}': The choice state's condition path references an invalid value.")
}

fn invalid_path(path: &JsonPath) -> Failure {
    Failure::runtime(invalid_path_cause(path.as_str()))
}

/// Keys a rule may have besides its operator, and whether only top-level rules may.
const COMMENT: &str = "Comment";
const TOP_LEVEL_ONLY: [&str; 2] = ["Next", "Assign"];

impl Rule {
    /// Parses a top-level rule (an element of `Choices`); `Next`, `Assign` and
    /// `Comment` are allowed and ignored.
    pub fn parse(v: &Value) -> Result<Rule, String> {
        Self::parse_at(v, true)
    }

    /// Parses a rule nested in `And`/`Or`/`Not`, where `Next` and `Assign` are errors.
    pub fn parse_nested(v: &Value) -> Result<Rule, String> {
        Self::parse_at(v, false)
    }

    fn parse_at(v: &Value, top: bool) -> Result<Rule, String> {
        let obj = v
            .as_object()
            .ok_or_else(|| format!("a Choice rule must be an object, got {}", type_name(v)))?;
        let mut operators: Vec<(&str, &Value)> = Vec::new();
        let mut variable = None;
        for (k, val) in obj {
            match k.as_str() {
                COMMENT => {
                    if !val.is_string() {
                        return Err("the Comment of a Choice rule must be a string".into());
                    }
                }
                k if TOP_LEVEL_ONLY.contains(&k) => {
                    if !top {
                        return Err(format!("a nested Choice rule cannot have '{k}'"));
                    }
                }
                "Variable" => variable = Some(val),
                "And" | "Or" | "Not" => operators.push((k.as_str(), val)),
                other if Op::from_key(other).is_some() => operators.push((other, val)),
                other => return Err(format!("unknown field '{other}' in a Choice rule")),
            }
        }
        let (key, val) = match operators.as_slice() {
            [one] => *one,
            [] => return Err("a Choice rule needs exactly one operator; found none".into()),
            many => {
                let names: Vec<&str> = many.iter().map(|(k, _)| *k).collect();
                return Err(format!(
                    "a Choice rule needs exactly one operator; found {}",
                    names.join(", ")
                ));
            }
        };
        match key {
            "And" | "Or" | "Not" => {
                if variable.is_some() {
                    return Err(format!(
                        "a Choice rule with '{key}' cannot have a 'Variable'"
                    ));
                }
                Self::parse_composite(key, val)
            }
            _ => {
                let var = variable
                    .ok_or_else(|| format!("a Choice rule with '{key}' needs a 'Variable'"))?;
                Self::parse_compare(var, key, val)
            }
        }
    }

    fn parse_composite(key: &str, val: &Value) -> Result<Rule, String> {
        if key == "Not" {
            return Ok(Rule::Not(Box::new(Self::parse_nested(val)?)));
        }
        let items = val
            .as_array()
            .ok_or_else(|| format!("'{key}' must be an array of rules, got {}", type_name(val)))?;
        if items.is_empty() {
            return Err(format!("'{key}' must hold at least one rule"));
        }
        let rules = items
            .iter()
            .map(Self::parse_nested)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(if key == "And" {
            Rule::And(rules)
        } else {
            Rule::Or(rules)
        })
    }

    fn parse_compare(var: &Value, key: &str, val: &Value) -> Result<Rule, String> {
        let variable = parse_path("Variable", var)?;
        let (op, is_path) = Op::from_key(key).ok_or_else(|| format!("unknown operator '{key}'"))?;
        let wrong = |want: &str| format!("'{key}' must be {want}, got {}", type_name(val));
        let operand = if is_path {
            Operand::Path(parse_path(key, val)?)
        } else {
            match op {
                Op::String(_) => {
                    Operand::String(val.as_str().ok_or_else(|| wrong("a string"))?.into())
                }
                Op::StringMatches => {
                    Operand::Pattern(Pattern::new(val.as_str().ok_or_else(|| wrong("a string"))?))
                }
                Op::Numeric(_) => match val {
                    Value::Number(n) => Operand::Number(n.clone()),
                    _ => return Err(wrong("a number")),
                },
                Op::BooleanEquals | Op::Is(_) => {
                    Operand::Bool(val.as_bool().ok_or_else(|| wrong("a boolean"))?)
                }
                Op::Timestamp(_) => {
                    let s = val.as_str().ok_or_else(|| wrong("a timestamp string"))?;
                    let t = parse_timestamp(s)
                        .ok_or_else(|| format!("'{key}' is not a valid timestamp: {s}"))?;
                    Operand::Timestamp(t)
                }
            }
        };
        Ok(Rule::Compare {
            variable,
            op,
            operand,
        })
    }

    /// Evaluates the rule. Errors only when a path selects nothing (see the module docs).
    pub fn eval(&self, env: &dyn Env) -> Result<bool, Failure> {
        match self {
            Rule::And(rules) => {
                for r in rules {
                    if !r.eval(env)? {
                        return Ok(false);
                    }
                }
                Ok(true)
            }
            Rule::Or(rules) => {
                for r in rules {
                    if r.eval(env)? {
                        return Ok(true);
                    }
                }
                Ok(false)
            }
            Rule::Not(r) => Ok(!r.eval(env)?),
            Rule::Compare {
                variable,
                op,
                operand,
            } => {
                let value = variable.select_in(env);
                if let (Op::Is(Test::Present), Operand::Bool(want)) = (op, operand) {
                    return Ok(value.is_some() == *want);
                }
                let value = value.ok_or_else(|| invalid_path(variable))?;
                compare(*op, &value, operand, env)
            }
        }
    }

    /// Every path the rule reads (variables and `...Path` operands), in order.
    pub fn paths(&self) -> Vec<&JsonPath> {
        let mut out = Vec::new();
        self.collect_paths(&mut out);
        out
    }

    fn collect_paths<'a>(&'a self, out: &mut Vec<&'a JsonPath>) {
        match self {
            Rule::And(rs) | Rule::Or(rs) => rs.iter().for_each(|r| r.collect_paths(out)),
            Rule::Not(r) => r.collect_paths(out),
            Rule::Compare {
                variable, operand, ..
            } => {
                out.push(variable);
                if let Operand::Path(p) = operand {
                    out.push(p);
                }
            }
        }
    }

    /// The operator key as written in the definition (`NumericEqualsPath`, `And`, ...).
    pub fn operator_name(&self) -> String {
        match self {
            Rule::And(_) => "And".into(),
            Rule::Or(_) => "Or".into(),
            Rule::Not(_) => "Not".into(),
            Rule::Compare {
                op,
                operand: Operand::Path(_),
                ..
            } => format!("{}Path", op.name()),
            Rule::Compare { op, .. } => op.name(),
        }
    }
}

/// Compares a present variable value with its operand.
fn compare(op: Op, value: &Value, operand: &Operand, env: &dyn Env) -> Result<bool, Failure> {
    Ok(match (op, operand) {
        (_, Operand::Path(p)) => {
            let rhs: Cow<Value> = p.select_in(env).ok_or_else(|| invalid_path(p))?;
            op.compare_values(value, &rhs)
        }
        (Op::Is(t), Operand::Bool(want)) => t.matches(value) == *want,
        (Op::BooleanEquals, Operand::Bool(b)) => value.as_bool() == Some(*b),
        (Op::String(c), Operand::String(s)) => {
            value.as_str().is_some_and(|v| c.holds(cmp_strings(v, s)))
        }
        (Op::StringMatches, Operand::Pattern(p)) => value.as_str().is_some_and(|v| p.matches(v)),
        (Op::Numeric(c), Operand::Number(n)) => match value {
            Value::Number(v) => cmp_numbers(v, n).is_some_and(|o| c.holds(o)),
            _ => false,
        },
        (Op::Timestamp(c), Operand::Timestamp(t)) => ops::compare_timestamp(c, value, t),
        // Not produced by the parser.
        _ => false,
    })
}

fn parse_path(key: &str, v: &Value) -> Result<JsonPath, String> {
    let s = v
        .as_str()
        .ok_or_else(|| format!("'{key}' must be a path string, got {}", type_name(v)))?;
    JsonPath::parse(s).map_err(|e| format!("'{key}' is not a valid path '{s}': {e}"))
}

use crate::asl::json_type as type_name;
