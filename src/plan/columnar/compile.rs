//! From the typed model to the columnar program: every state and field is checked
//! against what the kernels can do, with a reason naming the first that can't.

use super::ColumnarProgram;
use crate::asl::choice::{Op, Operand, Rule};
use crate::asl::failure::names;
use crate::asl::intrinsic::{Arg, Call};
use crate::asl::model::Ata;
use crate::asl::model::{
    FailField, PathField, QueryLanguage, StateKind, StateMachine, Template, Transition,
};
use crate::asl::path::{JsonPath, PathRoot, Segment};
use crate::jsonata::{CmpOp, Simple};
use serde_json::Value;
use std::collections::HashSet;

/// A field reference: names below the root (empty: the root itself).
pub(crate) type Names = Vec<String>;

#[derive(Debug, Clone)]
pub(crate) enum CArg {
    Lit(Value),
    Path(Names),
}

#[derive(Debug, Clone)]
pub(crate) enum CTpl {
    Lit(Value),
    Path(Names),
    Obj(Vec<(String, CTpl)>),
    MathAdd(CArg, CArg),
    /// Literal text around the placeholders (`args.len() + 1` pieces) and the args.
    Format(Vec<String>, Vec<CArg>),
    // JSONata (see `ata_tpl`): comparisons and boolean operators give Boolean columns.
    Cmp(CmpOp, Box<CTpl>, Box<CTpl>),
    /// JSONata `+` of integers.
    Add(Box<CTpl>, Box<CTpl>),
    /// JSONata `&`.
    Concat(Box<CTpl>, Box<CTpl>),
    And(Box<CTpl>, Box<CTpl>),
    Or(Box<CTpl>, Box<CTpl>),
    /// `$not(x)`.
    Not(Box<CTpl>),
    /// `$substring(s, start[, length])`.
    Substring(Box<CTpl>, i64, Option<i64>),
    /// `$merge([a, b, ...])` of objects.
    Merge(Vec<CTpl>),
    /// `[x]`: an array holding the one value.
    Wrap(Box<CTpl>),
}

#[derive(Debug, Clone)]
pub(crate) enum CRule {
    Cmp {
        names: Names,
        rule: Box<Rule>,
        op: Op,
        operand: Operand,
    },
    And(Vec<CRule>),
    Or(Vec<CRule>),
    Not(Box<CRule>),
    /// A JSONata Condition (a Boolean column).
    Ata(CTpl),
}

#[derive(Debug, Clone)]
pub(crate) enum Produce {
    Input,
    Tpl(CTpl),
}

#[derive(Debug, Clone)]
pub(crate) enum ResultAt {
    Replace,
    Field(String),
    Discard,
}

#[derive(Debug, Clone)]
pub(crate) enum CState {
    Pass {
        produce: Produce,
        result_at: ResultAt,
        next: Option<usize>,
    },
    Choice {
        branches: Vec<(CRule, usize)>,
        default: Option<usize>,
    },
    Succeed,
    Fail(Option<String>, Option<String>),
}

pub(crate) fn compile(
    sm: &StateMachine,
    selector: Option<&Template>,
) -> Result<ColumnarProgram, String> {
    let selector = match selector {
        Some(t) => Some(template(t, Root::MapItem).map_err(|e| format!("ItemSelector: {e}"))?),
        None => None,
    };
    let mut states = Vec::with_capacity(sm.states.len());
    let mut ata = false;
    for st in &sm.states {
        let at = |e: String| format!("state '{}': {e}", st.name);
        if st.ql == QueryLanguage::JsonAta {
            ata = true;
            if !st.retry.is_empty() || !st.catch.is_empty() {
                return Err(at("Retry/Catch have no columnar form".into()));
            }
            states.push(ata_state(st).map_err(at)?);
            continue;
        }
        if st.assign.is_some() {
            return Err(at("Assign has no columnar form".into()));
        }
        if !st.retry.is_empty() || !st.catch.is_empty() {
            return Err(at("Retry/Catch have no columnar form".into()));
        }
        let io = &st.io;
        if io.input_path != PathField::Default || io.output_path != PathField::Default {
            return Err(at("InputPath/OutputPath have no columnar form".into()));
        }
        let next = match st.transition {
            Transition::Next(n) => Some(n.0 as usize),
            _ => None,
        };
        let c = match &st.kind {
            StateKind::Pass(p) => {
                if io.result_selector.is_some() {
                    return Err(at("ResultSelector has no columnar form".into()));
                }
                let produce = match (&p.result, &io.parameters) {
                    (Some(r), _) => Produce::Tpl(CTpl::Lit(r.clone())),
                    (None, Some(t)) => Produce::Tpl(
                        template(t, Root::Input).map_err(|e| at(format!("Parameters: {e}")))?,
                    ),
                    (None, None) => Produce::Input,
                };
                let result_at = match &io.result_path {
                    PathField::Default => ResultAt::Replace,
                    PathField::Null => ResultAt::Discard,
                    PathField::Path(p) => match names_of(p, Root::Input).as_deref() {
                        Some([]) => ResultAt::Replace,
                        Some([x]) => ResultAt::Field(x.clone()),
                        _ => {
                            return Err(at(format!(
                                "ResultPath '{}' is not `$` or `$.field`",
                                p.as_str()
                            )));
                        }
                    },
                };
                CState::Pass {
                    produce,
                    result_at,
                    next,
                }
            }
            StateKind::Choice(c) => {
                let mut branches = Vec::with_capacity(c.choices.len());
                for (i, b) in c.choices.iter().enumerate() {
                    if b.assign.is_some() {
                        return Err(at(format!("Choices[{i}]: Assign has no columnar form")));
                    }
                    let r = b
                        .rule
                        .as_ref()
                        .ok_or_else(|| {
                            at(format!(
                                "Choices[{i}]: a JSONata Condition has no columnar form"
                            ))
                        })
                        .and_then(|r| rule(r).map_err(|e| at(format!("Choices[{i}]: {e}"))))?;
                    branches.push((r, b.next.0 as usize));
                }
                CState::Choice {
                    branches,
                    default: c.default.map(|d| d.0 as usize),
                }
            }
            StateKind::Succeed => CState::Succeed,
            StateKind::Fail(f) => {
                let lit = |f: Option<&FailField>, name: &str| match f {
                    None => Ok(None),
                    Some(FailField::Literal(s)) => Ok(Some(s.clone())),
                    Some(_) => Err(at(format!("{name}Path has no columnar form"))),
                };
                let error = lit(f.error.as_ref(), "Error")?;
                let cause = lit(f.cause.as_ref(), "Cause")?;
                // The engine rewrites the cause of these errors (it names the event id).
                if matches!(
                    error.as_deref(),
                    Some(names::RUNTIME) | Some(names::QUERY_EVALUATION_ERROR)
                ) {
                    return Err(at(
                        "a Fail with a States.Runtime error has no columnar form".into(),
                    ));
                }
                CState::Fail(error, cause)
            }
            other => {
                let _ = other;
                return Err(at(format!(
                    "a {} state has no columnar form",
                    st.type_name()
                )));
            }
        };
        states.push(c);
    }
    let start = sm.start_at.0 as usize;
    let (input_columns, whole_item) = projection(&states, start, selector.as_ref());
    Ok(ColumnarProgram {
        states,
        start,
        selector,
        input_columns,
        whole_item,
        ata,
    })
}

#[derive(Clone, Copy)]
enum Root {
    /// `$`: the state's input.
    Input,
    /// `$$.Map.Item.Value`: the item (ItemSelector).
    MapItem,
}

/// The names of a definite path of names from the expected root, or None.
fn names_of(p: &JsonPath, root: Root) -> Option<Names> {
    let mut segs = p.segments().iter();
    match (root, p.root()) {
        (Root::Input, PathRoot::Input) => {}
        (Root::MapItem, PathRoot::Context) => {
            for want in ["Map", "Item", "Value"] {
                match segs.next() {
                    Some(Segment::Name(n)) if &**n == want => {}
                    _ => return None,
                }
            }
        }
        _ => return None,
    }
    segs.map(|s| match s {
        Segment::Name(n) => Some(n.to_string()),
        _ => None,
    })
    .collect()
}

fn path(p: &JsonPath, root: Root) -> Result<Names, String> {
    names_of(p, root).ok_or_else(|| match root {
        Root::Input => format!(
            "the path '{}' is not a field reference ($ or $.a.b)",
            p.as_str()
        ),
        Root::MapItem => format!(
            "the path '{}' is not a reference into $$.Map.Item.Value",
            p.as_str()
        ),
    })
}

fn template(t: &Template, root: Root) -> Result<CTpl, String> {
    Ok(match t {
        Template::Literal(v) => CTpl::Lit(v.clone()),
        Template::Path(p) => CTpl::Path(path(p, root)?),
        Template::Object(fields) => CTpl::Obj(
            fields
                .iter()
                .map(|(k, t)| Ok((k.clone(), template(t, root)?)))
                .collect::<Result<_, String>>()?,
        ),
        Template::Array(_) => return Err("an array holding paths has no columnar form".into()),
        Template::Intrinsic(c) => intrinsic(c, root)?,
    })
}

fn arg(a: &Arg, root: Root, name: &str) -> Result<CArg, String> {
    match a {
        Arg::Literal(v) => Ok(CArg::Lit(v.clone())),
        Arg::Path(p) => Ok(CArg::Path(path(p, root)?)),
        Arg::Call(c) => Err(format!(
            "{name} with a nested {} has no columnar form",
            c.name
        )),
    }
}

fn intrinsic(c: &Call, root: Root) -> Result<CTpl, String> {
    match (c.name.as_str(), c.args.as_slice()) {
        ("States.MathAdd", [a, b]) => Ok(CTpl::MathAdd(
            arg(a, root, &c.name)?,
            arg(b, root, &c.name)?,
        )),
        ("States.Format", [Arg::Literal(Value::String(t)), rest @ ..]) => {
            let pieces = format_pieces(t);
            if pieces.len() != rest.len() + 1 {
                return Err("States.Format: placeholders and arguments differ in number".into());
            }
            let args = rest
                .iter()
                .map(|a| arg(a, root, &c.name))
                .collect::<Result<_, _>>()?;
            Ok(CTpl::Format(pieces, args))
        }
        ("States.Format", _) => Err("States.Format without a literal template".into()),
        (name, _) => Err(format!("the intrinsic {name} has no columnar form")),
    }
}

/// Splits a `States.Format` template (escapes kept, as parsed) at its `{}`
/// placeholders, resolving the escapes as the row evaluation does.
pub(crate) fn format_pieces(template: &str) -> Vec<String> {
    let mut pieces = vec![String::new()];
    let mut chars = template.chars().peekable();
    while let Some(c) = chars.next() {
        let out = pieces.last_mut().expect("pieces is never empty");
        match c {
            '\\' => match chars.next() {
                Some(e @ ('{' | '}' | '\'' | '\\')) => out.push(e),
                Some(e) => {
                    out.push('\\');
                    out.push(e);
                }
                None => out.push('\\'),
            },
            '{' if chars.peek() == Some(&'}') => {
                chars.next();
                pieces.push(String::new());
            }
            c => out.push(c),
        }
    }
    pieces
}

fn rule(r: &Rule) -> Result<CRule, String> {
    Ok(match r {
        Rule::And(rs) => CRule::And(rs.iter().map(rule).collect::<Result<_, _>>()?),
        Rule::Or(rs) => CRule::Or(rs.iter().map(rule).collect::<Result<_, _>>()?),
        Rule::Not(r) => CRule::Not(Box::new(rule(r)?)),
        Rule::Compare {
            variable,
            op,
            operand,
        } => {
            if matches!(operand, Operand::Path(_)) {
                return Err(format!("{} has no columnar form", r.operator_name()));
            }
            CRule::Cmp {
                names: path(variable, Root::Input)?,
                rule: Box::new(Rule::Compare {
                    variable: JsonPath::parse("$.v").map_err(|e| e.message)?,
                    op: *op,
                    operand: operand.clone(),
                }),
                op: *op,
                operand: operand.clone(),
            }
        }
    })
}

/// Which item fields the program reads, and whether some output carries the item:
/// walks the states while the document is still the item (plus added fields).
fn projection(states: &[CState], start: usize, sel: Option<&CTpl>) -> (Vec<String>, bool) {
    let mut cols: Vec<String> = Vec::new();
    let mut whole = false;
    let add = |n: &Names, cols: &mut Vec<String>, whole: &mut bool| match n.first() {
        Some(f) if !cols.contains(f) => cols.push(f.clone()),
        Some(_) => {}
        None => *whole = true,
    };
    if let Some(t) = sel {
        tpl_paths(t, &mut |n| add(n, &mut cols, &mut whole));
        return (cols, whole);
    }
    let mut seen = HashSet::new();
    let mut todo = vec![start];
    while let Some(i) = todo.pop() {
        if !seen.insert(i) {
            continue;
        }
        match states.get(i) {
            Some(CState::Pass {
                produce,
                result_at,
                next,
            }) => {
                let keeps_item = match produce {
                    Produce::Input => {
                        whole |= matches!(result_at, ResultAt::Field(_));
                        true
                    }
                    Produce::Tpl(t) => {
                        tpl_paths(t, &mut |n| add(n, &mut cols, &mut whole));
                        !matches!(result_at, ResultAt::Replace)
                    }
                };
                match next {
                    Some(n) if keeps_item => todo.push(*n),
                    None if keeps_item => whole = true,
                    _ => {}
                }
            }
            Some(CState::Choice { branches, default }) => {
                for (r, n) in branches {
                    rule_paths(r, &mut |n| add(n, &mut cols, &mut whole));
                    todo.push(*n);
                }
                todo.extend(default);
            }
            Some(CState::Succeed) => whole = true,
            _ => {}
        }
    }
    (cols, whole)
}

/// A JSONata state: Pass with Output, Choice with Conditions, Succeed, Fail with
/// literal Error and Cause; no Assign, no Output on Choice/Succeed or on a rule.
fn ata_state(st: &crate::asl::model::State) -> Result<CState, String> {
    let fields = st.ata.as_deref().cloned().unwrap_or_default();
    if fields.assign.is_some() || st.assign.is_some() {
        return Err("Assign has no columnar form".into());
    }
    if fields.arguments.is_some() {
        return Err("Arguments have no columnar form".into());
    }
    let next = match st.transition {
        Transition::Next(n) => Some(n.0 as usize),
        _ => None,
    };
    let no_output = |what: &str| match &fields.output {
        None => Ok(()),
        Some(_) => Err(format!("Output on a {what} has no columnar form")),
    };
    Ok(match &st.kind {
        StateKind::Pass(_) => CState::Pass {
            produce: match &fields.output {
                None => Produce::Input,
                Some(o) => Produce::Tpl(ata_tpl(o).map_err(|e| format!("Output: {e}"))?),
            },
            result_at: ResultAt::Replace,
            next,
        },
        StateKind::Choice(c) => {
            no_output("Choice state")?;
            let mut branches = Vec::with_capacity(c.choices.len());
            for (i, b) in c.choices.iter().enumerate() {
                let rule_fields = b
                    .ata
                    .as_deref()
                    .is_some_and(|f| f.assign.is_some() || f.output.is_some());
                if rule_fields || b.assign.is_some() {
                    return Err(format!(
                        "Choices[{i}]: Assign or Output on a rule has no columnar form"
                    ));
                }
                let cond = b
                    .condition
                    .as_ref()
                    .ok_or_else(|| format!("Choices[{i}]: no Condition"))?;
                let t = ata_tpl(cond).map_err(|e| format!("Choices[{i}].Condition: {e}"))?;
                branches.push((CRule::Ata(t), b.next.0 as usize));
            }
            CState::Choice {
                branches,
                default: c.default.map(|d| d.0 as usize),
            }
        }
        StateKind::Succeed => {
            no_output("Succeed state")?;
            CState::Succeed
        }
        StateKind::Fail(f) => {
            let lit = |f: Option<&FailField>, name: &str| match f {
                None => Ok(None),
                Some(FailField::Literal(s)) => Ok(Some(s.clone())),
                Some(FailField::Ata(Ata::Literal(Value::String(s)))) => Ok(Some(s.clone())),
                Some(_) => Err(format!("a computed {name} has no columnar form")),
            };
            let error = lit(f.error.as_ref(), "Error")?;
            let cause = lit(f.cause.as_ref(), "Cause")?;
            if matches!(
                error.as_deref(),
                Some(names::RUNTIME) | Some(names::QUERY_EVALUATION_ERROR)
            ) {
                return Err("a Fail with a States.Runtime error has no columnar form".into());
            }
            CState::Fail(error, cause)
        }
        _ => return Err(format!("a {} state has no columnar form", st.type_name())),
    })
}

/// A JSONata field (literal JSON, `{% %}` expressions, objects of those).
fn ata_tpl(a: &Ata) -> Result<CTpl, String> {
    Ok(match a {
        Ata::Literal(v) => CTpl::Lit(v.clone()),
        Ata::Object(fields) => CTpl::Obj(
            fields
                .iter()
                .map(|(k, t)| Ok((k.clone(), ata_tpl(t)?)))
                .collect::<Result<_, String>>()?,
        ),
        Ata::Array(_) => return Err("an array holding expressions has no columnar form".into()),
        Ata::Expr(e) => simple(e.lower()?)?,
    })
}

fn int_lit(s: &Simple) -> Option<i64> {
    match s {
        Simple::Lit(Value::Number(n)) => n.as_i64(),
        _ => None,
    }
}

fn simple(s: Simple) -> Result<CTpl, String> {
    let b = |s: Simple| simple(s).map(Box::new);
    Ok(match s {
        Simple::Lit(v) => CTpl::Lit(v),
        Simple::Input(names) => CTpl::Path(names),
        Simple::Cmp(op, l, r) => CTpl::Cmp(op, b(*l)?, b(*r)?),
        Simple::Add(l, r) => CTpl::Add(b(*l)?, b(*r)?),
        Simple::Concat(l, r) => CTpl::Concat(b(*l)?, b(*r)?),
        Simple::And(l, r) => CTpl::And(b(*l)?, b(*r)?),
        Simple::Or(l, r) => CTpl::Or(b(*l)?, b(*r)?),
        Simple::Object(fields) => CTpl::Obj(
            fields
                .into_iter()
                .map(|(k, v)| Ok((k, simple(v)?)))
                .collect::<Result<_, String>>()?,
        ),
        Simple::Array(mut items) if items.len() == 1 => CTpl::Wrap(b(items.remove(0))?),
        Simple::Array(_) => return Err("an array of several values has no columnar form".into()),
        Simple::Call(name, mut args) => match (name.as_str(), args.len()) {
            ("not", 1) => CTpl::Not(b(args.remove(0))?),
            ("substring", 2 | 3) => {
                let start = int_lit(&args[1]).ok_or("$substring with a computed start")?;
                let len = match args.get(2) {
                    Some(l) => Some(int_lit(l).ok_or("$substring with a computed length")?),
                    None => None,
                };
                CTpl::Substring(b(args.remove(0))?, start, len)
            }
            ("merge", 1) => match args.remove(0) {
                Simple::Array(items) => CTpl::Merge(
                    items
                        .into_iter()
                        .map(simple)
                        .collect::<Result<_, String>>()?,
                ),
                _ => return Err("$merge of something other than an array constructor".into()),
            },
            _ => return Err(format!("the function ${name} has no columnar form")),
        },
    })
}

fn tpl_paths(t: &CTpl, f: &mut dyn FnMut(&Names)) {
    let on_arg = |a: &CArg, f: &mut dyn FnMut(&Names)| {
        if let CArg::Path(n) = a {
            f(n)
        }
    };
    match t {
        CTpl::Lit(_) => {}
        CTpl::Path(n) => f(n),
        CTpl::Obj(fs) => fs.iter().for_each(|(_, t)| tpl_paths(t, f)),
        CTpl::MathAdd(a, b) => {
            on_arg(a, f);
            on_arg(b, f);
        }
        CTpl::Format(_, args) => args.iter().for_each(|a| on_arg(a, f)),
        CTpl::Cmp(_, a, b)
        | CTpl::Add(a, b)
        | CTpl::Concat(a, b)
        | CTpl::And(a, b)
        | CTpl::Or(a, b) => {
            tpl_paths(a, f);
            tpl_paths(b, f);
        }
        CTpl::Not(a) | CTpl::Substring(a, ..) | CTpl::Wrap(a) => tpl_paths(a, f),
        CTpl::Merge(ts) => ts.iter().for_each(|t| tpl_paths(t, f)),
    }
}

pub(crate) fn rule_paths(r: &CRule, f: &mut dyn FnMut(&Names)) {
    match r {
        CRule::Cmp { names, .. } => f(names),
        CRule::And(rs) | CRule::Or(rs) => rs.iter().for_each(|r| rule_paths(r, f)),
        CRule::Not(r) => rule_paths(r, f),
        CRule::Ata(t) => tpl_paths(t, f),
    }
}
