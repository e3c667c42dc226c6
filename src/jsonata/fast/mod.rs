//! A direct evaluator for the JSONata that workflows write most (paths over the input and
//! variables, predicates, comparisons, arithmetic, `&`, `and`/`or`, conditions, object
//! constructors and a few built-in functions), over `serde_json` values as they are: no
//! conversion of the input into the evaluator's values and back, no evaluator to set up.
//!
//! It follows jsonata-js 2.0.6's algorithm (`evaluatePath`, `evaluateStep`,
//! `evaluateFilter`, `fn.lookup`: sequences flattened between steps, a lone value
//! unwrapped, an array from the data kept whole at the last step). Whatever it does not
//! reproduce exactly, it does not evaluate: an expression outside the subset is not
//! compiled, and at run time anything that would raise an error, or whose JavaScript
//! semantics differ from Rust's (ordering and case of non-ASCII strings, numbers printed
//! as strings, numeric predicates, equality of arrays and objects, unbound variables),
//! gives [`Fallback`] and the general evaluator (jsonata-core) runs the expression
//! instead, so results and errors are the general evaluator's. The reference suite is
//! run through both for every expression compiled here (src/jsonata/tests.rs).

mod eval;

pub(super) use self::eval::eval;

use jsonata_core::ast::{AstNode, BinaryOp, PathStep, Stage, UnaryOp};

use super::CmpOp;

/// The expression is not evaluated here: use the general evaluator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fallback;

/// A compiled expression of the subset.
#[derive(Debug)]
pub(super) enum Fx {
    Num(f64),
    Str(String),
    Bool(bool),
    Null,
    /// The context value (`$`).
    Context,
    Path(Vec<Step>),
    Cmp(CmpOp, Box<Fx>, Box<Fx>),
    Arith(Arith, Box<Fx>, Box<Fx>),
    Neg(Box<Fx>),
    Concat(Box<Fx>, Box<Fx>),
    And(Box<Fx>, Box<Fx>),
    Or(Box<Fx>, Box<Fx>),
    Cond(Box<Fx>, Box<Fx>, Option<Box<Fx>>),
    Call(Func, String, Vec<Fx>),
    /// `$merge([a, b, ...])`: the objects' fields, later ones replacing earlier ones.
    Merge(Vec<Fx>),
    Object(Vec<(String, Fx)>),
}

#[derive(Debug)]
pub(super) struct Step {
    pub(super) node: StepNode,
    pub(super) filters: Vec<Filter>,
}

#[derive(Debug)]
pub(super) enum StepNode {
    Name(String),
    Var(String),
    Apply(Fx),
}

#[derive(Debug)]
pub(super) enum Filter {
    Index(f64),
    Pred(Fx),
}

#[derive(Debug, Clone, Copy)]
pub(super) enum Arith {
    Add,
    Sub,
    Mul,
    Div,
    Mod,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Func {
    Sum,
    Count,
    Max,
    Min,
    Average,
    Join,
    Uppercase,
    Lowercase,
    Substring,
    Length,
    String,
    Exists,
    Not,
    Boolean,
}

impl Func {
    /// The function and whether it takes `n` arguments.
    fn of(name: &str, n: usize) -> Option<Func> {
        let (f, arity) = match name {
            "sum" => (Func::Sum, 1..=1),
            "count" => (Func::Count, 1..=1),
            "max" => (Func::Max, 1..=1),
            "min" => (Func::Min, 1..=1),
            "average" => (Func::Average, 1..=1),
            "join" => (Func::Join, 1..=2),
            "uppercase" => (Func::Uppercase, 1..=1),
            "lowercase" => (Func::Lowercase, 1..=1),
            "substring" => (Func::Substring, 2..=3),
            "length" => (Func::Length, 1..=1),
            "string" => (Func::String, 1..=1),
            "exists" => (Func::Exists, 1..=1),
            "not" => (Func::Not, 1..=1),
            "boolean" => (Func::Boolean, 1..=1),
            _ => return None,
        };
        arity.contains(&n).then_some(f)
    }
}

/// Deepest expression compiled here: evaluation recurses as deep as the expression, and
/// jsonata-core guards its own stack for deeper ones.
const MAX_DEPTH: usize = 48;

/// The expression in the subset, or None.
pub(super) fn compile(node: &AstNode) -> Option<Fx> {
    compile_node(node, 0).ok()
}

fn compile_node(node: &AstNode, depth: usize) -> Result<Fx, ()> {
    if depth > MAX_DEPTH {
        return Err(());
    }
    let compile_node = |n: &AstNode| compile_node(n, depth + 1);
    let compile_step = |s: &PathStep, i: usize| compile_step(s, i, depth + 1);
    let b = |n: &AstNode| compile_node(n).map(Box::new);
    Ok(match node {
        AstNode::String(s) => Fx::Str(s.clone()),
        AstNode::Number(n) => Fx::Num(*n),
        AstNode::Boolean(v) => Fx::Bool(*v),
        AstNode::Null => Fx::Null,
        AstNode::Variable(v) if v.is_empty() => Fx::Context,
        AstNode::Variable(v) => Fx::Path(vec![Step {
            node: StepNode::Var(v.clone()),
            filters: Vec::new(),
        }]),
        AstNode::Path { steps } if !steps.is_empty() => Fx::Path(
            steps
                .iter()
                .enumerate()
                .map(|(i, s)| compile_step(s, i))
                .collect::<Result<_, _>>()?,
        ),
        AstNode::Binary { op, lhs, rhs } => {
            let (l, r) = (b(lhs)?, b(rhs)?);
            match op {
                BinaryOp::Equal => Fx::Cmp(CmpOp::Eq, l, r),
                BinaryOp::NotEqual => Fx::Cmp(CmpOp::Ne, l, r),
                BinaryOp::LessThan => Fx::Cmp(CmpOp::Lt, l, r),
                BinaryOp::LessThanOrEqual => Fx::Cmp(CmpOp::Le, l, r),
                BinaryOp::GreaterThan => Fx::Cmp(CmpOp::Gt, l, r),
                BinaryOp::GreaterThanOrEqual => Fx::Cmp(CmpOp::Ge, l, r),
                BinaryOp::Add => Fx::Arith(Arith::Add, l, r),
                BinaryOp::Subtract => Fx::Arith(Arith::Sub, l, r),
                BinaryOp::Multiply => Fx::Arith(Arith::Mul, l, r),
                BinaryOp::Divide => Fx::Arith(Arith::Div, l, r),
                BinaryOp::Modulo => Fx::Arith(Arith::Mod, l, r),
                BinaryOp::Concatenate => Fx::Concat(l, r),
                BinaryOp::And => Fx::And(l, r),
                BinaryOp::Or => Fx::Or(l, r),
                _ => return Err(()),
            }
        }
        AstNode::Unary {
            op: UnaryOp::Negate,
            operand,
        } => Fx::Neg(b(operand)?),
        AstNode::Function {
            name,
            args,
            is_builtin: true,
        } if name == "merge" => match args.as_slice() {
            [AstNode::Array(items)] => {
                Fx::Merge(items.iter().map(compile_node).collect::<Result<_, _>>()?)
            }
            _ => return Err(()),
        },
        AstNode::Function {
            name,
            args,
            is_builtin: true,
        } => Fx::Call(
            Func::of(name, args.len()).ok_or(())?,
            name.clone(),
            args.iter().map(compile_node).collect::<Result<_, _>>()?,
        ),
        AstNode::Object(pairs) => {
            let mut out: Vec<(String, Fx)> = Vec::with_capacity(pairs.len());
            for (k, v) in pairs {
                let AstNode::String(k) = k else {
                    return Err(());
                };
                if out.iter().any(|(seen, _)| seen == k) {
                    return Err(());
                }
                out.push((k.clone(), compile_node(v)?));
            }
            Fx::Object(out)
        }
        AstNode::Block(items) if items.len() == 1 => compile_node(&items[0])?,
        AstNode::Conditional {
            condition,
            then_branch,
            else_branch,
        } => Fx::Cond(
            b(condition)?,
            b(then_branch)?,
            match else_branch {
                Some(e) => Some(b(e)?),
                None => None,
            },
        ),
        _ => return Err(()),
    })
}

fn compile_step(s: &PathStep, i: usize, depth: usize) -> Result<Step, ()> {
    let compile_node = |n: &AstNode| compile_node(n, depth + 1);
    if s.focus.is_some()
        || s.index_var.is_some()
        || s.ancestor_label.is_some()
        || s.is_tuple
        || s.inner_tuple
    {
        return Err(());
    }
    let node = match &s.node {
        AstNode::Name(n) => StepNode::Name(n.clone()),
        AstNode::Variable(v) if !v.is_empty() => StepNode::Var(v.clone()),
        AstNode::FunctionApplication(e) if i > 0 => StepNode::Apply(compile_node(e)?),
        _ => return Err(()),
    };
    let filters = s
        .stages
        .iter()
        .map(|st| match st {
            Stage::Filter(p) => match &**p {
                AstNode::Number(n) => Ok(Filter::Index(*n)),
                p => compile_node(p).map(Filter::Pred),
            },
            _ => Err(()),
        })
        .collect::<Result<_, _>>()?;
    Ok(Step { node, filters })
}
