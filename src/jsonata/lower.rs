//! A small engine-neutral form of simple expressions ([`Simple`]), for the parts of the
//! engine that run them another way than the evaluator (the columnar kernels). It names
//! no type of the JSONata crate, so that crate stays replaceable behind this module.
//!
//! The form covers what per-item workflows mostly write: `$states.input` and its fields,
//! literals, comparisons, `and`/`or`, array and object constructors, and calls of
//! built-in functions by name. Anything else is an `Err` naming what is outside it.

use jsonata_core::ast::{AstNode, BinaryOp, PathStep, UnaryOp};
use serde_json::Value;

use super::convert;

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmpOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl CmpOp {
    pub fn symbol(self) -> &'static str {
        match self {
            CmpOp::Eq => "=",
            CmpOp::Ne => "!=",
            CmpOp::Lt => "<",
            CmpOp::Le => "<=",
            CmpOp::Gt => ">",
            CmpOp::Ge => ">=",
        }
    }
}

/// A simple expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Simple {
    /// A literal: string, number (integral ones as JSON integers), boolean, null, `[]`.
    Lit(Value),
    /// `$states.input` followed by field names (empty: the input itself).
    Input(Vec<String>),
    Cmp(CmpOp, Box<Simple>, Box<Simple>),
    /// `a + b`.
    Add(Box<Simple>, Box<Simple>),
    /// `a & b` (string concatenation).
    Concat(Box<Simple>, Box<Simple>),
    And(Box<Simple>, Box<Simple>),
    Or(Box<Simple>, Box<Simple>),
    /// A built-in function called by name (without `$`).
    Call(String, Vec<Simple>),
    /// An array constructor with at least one member.
    Array(Vec<Simple>),
    /// An object constructor with literal keys, in order.
    Object(Vec<(String, Simple)>),
}

/// Lowers a parse tree into [`Simple`], or says what is outside the form.
pub(super) fn lower(node: &AstNode) -> Result<Simple, String> {
    Ok(match node {
        AstNode::String(s) => Simple::Lit(Value::String(s.clone())),
        AstNode::Number(n) => Simple::Lit(convert::number(*n)),
        AstNode::Boolean(b) => Simple::Lit(Value::Bool(*b)),
        AstNode::Null => Simple::Lit(Value::Null),
        AstNode::Block(items) if items.len() == 1 => lower(&items[0])?,
        AstNode::Unary {
            op: UnaryOp::Negate,
            operand,
        } => match &**operand {
            AstNode::Number(n) => Simple::Lit(convert::number(-n)),
            _ => return Err("a negation of something other than a number literal".into()),
        },
        AstNode::Path { steps } => path(steps)?,
        AstNode::Binary { op, lhs, rhs } => {
            let (l, r) = (Box::new(lower(lhs)?), Box::new(lower(rhs)?));
            let cmp = |op| Simple::Cmp(op, l.clone(), r.clone());
            match op {
                BinaryOp::Equal => cmp(CmpOp::Eq),
                BinaryOp::NotEqual => cmp(CmpOp::Ne),
                BinaryOp::LessThan => cmp(CmpOp::Lt),
                BinaryOp::LessThanOrEqual => cmp(CmpOp::Le),
                BinaryOp::GreaterThan => cmp(CmpOp::Gt),
                BinaryOp::GreaterThanOrEqual => cmp(CmpOp::Ge),
                BinaryOp::Add => Simple::Add(l, r),
                BinaryOp::Concatenate => Simple::Concat(l, r),
                BinaryOp::And => Simple::And(l, r),
                BinaryOp::Or => Simple::Or(l, r),
                other => return Err(format!("the operator {other:?}")),
            }
        }
        AstNode::Function {
            name,
            args,
            is_builtin: true,
        } => Simple::Call(
            name.clone(),
            args.iter().map(lower).collect::<Result<_, _>>()?,
        ),
        AstNode::Array(items) if items.is_empty() => Simple::Lit(Value::Array(Vec::new())),
        AstNode::Array(items) => Simple::Array(items.iter().map(lower).collect::<Result<_, _>>()?),
        AstNode::Object(pairs) => {
            let mut out: Vec<(String, Simple)> = Vec::with_capacity(pairs.len());
            for (k, v) in pairs {
                let AstNode::String(k) = k else {
                    return Err("an object key that is not a string literal".into());
                };
                if out.iter().any(|(seen, _)| seen == k) {
                    return Err(format!("the object key '{k}' appears twice"));
                }
                out.push((k.clone(), lower(v)?));
            }
            Simple::Object(out)
        }
        AstNode::Variable(v) => return Err(format!("the variable ${v}")),
        _ => return Err("an expression outside the simple form".into()),
    })
}

fn plain(step: &PathStep) -> bool {
    step.stages.is_empty()
        && step.focus.is_none()
        && step.index_var.is_none()
        && step.ancestor_label.is_none()
        && !step.is_tuple
}

/// `$states.input.a.b` only.
fn path(steps: &[PathStep]) -> Result<Simple, String> {
    if !steps.iter().all(plain) {
        return Err("a path with a predicate, index or binding".into());
    }
    match steps {
        [first, second, rest @ ..]
            if first.node == AstNode::Variable("states".into())
                && second.node == AstNode::Name("input".into()) =>
        {
            rest.iter()
                .map(|s| match &s.node {
                    AstNode::Name(n) => Ok(n.clone()),
                    _ => Err("a path step that is not a field name".to_string()),
                })
                .collect::<Result<_, _>>()
                .map(Simple::Input)
        }
        _ => Err("a path that does not start at $states.input".into()),
    }
}
