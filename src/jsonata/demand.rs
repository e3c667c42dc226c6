//! Which parts of the input (and of each bound variable) an expression can read, so
//! that an evaluation converts only those parts into jsonata-core values. Converting
//! the whole document dominates the cost of a typical Step Functions expression
//! (`$states.input.Order.Total`), and the part it reads is usually small.
//!
//! The analysis is conservative: it gives up (reads everything) on any construct whose
//! context flow it does not follow: functions defined in the expression, `:=`, the
//! parent operator `%`, `@`/`#` bindings, `$$`, transforms, partial application. A
//! value that reaches anything but a field step (an operator, a function argument, a
//! wildcard, an object constructor, the result) is read whole.

use std::collections::BTreeMap;
use std::rc::Rc;

use jsonata_core::ast::{AstNode, BinaryOp, Stage};
use jsonata_core::value::{JArray, JMap, JValue};
use serde_json::Value;

use super::convert::to_jvalue;

/// What is read of a value: all of it, or some fields of it (of each item, for an
/// array).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Demand {
    All,
    Fields(BTreeMap<String, Demand>),
}

impl Demand {
    fn at(&mut self, path: &[String]) {
        let mut d = self;
        for name in path {
            match d {
                Demand::All => return,
                Demand::Fields(m) => {
                    d = m
                        .entry(name.clone())
                        .or_insert_with(|| Demand::Fields(BTreeMap::new()))
                }
            }
        }
        *d = Demand::All;
    }

    /// Marks `path` as read without reading any field below it.
    fn touch(&mut self, path: &[String]) {
        let mut d = self;
        for name in path {
            match d {
                Demand::All => return,
                Demand::Fields(m) => {
                    d = m
                        .entry(name.clone())
                        .or_insert_with(|| Demand::Fields(BTreeMap::new()))
                }
            }
        }
    }
}

/// The demands of an expression: on the input and on each variable it reads.
#[derive(Debug, Clone)]
pub struct Demands {
    pub input: Demand,
    pub variables: BTreeMap<String, Demand>,
}

impl Demands {
    pub fn variable(&self, name: &str) -> &Demand {
        self.variables.get(name).unwrap_or(&Demand::All)
    }
}

/// A root: the input (`None`) or a variable.
type Root = Option<String>;
/// Where a value may come from: roots and field paths below them. Empty: not from
/// the input or a variable (or already read whole).
type Origin = Vec<(Root, Vec<String>)>;

struct Walker {
    input: Demand,
    variables: BTreeMap<String, Demand>,
    bail: bool,
}

/// `None` when the expression's reads cannot be narrowed.
pub fn analyze(ast: &AstNode) -> Option<Demands> {
    let mut w = Walker {
        input: Demand::Fields(BTreeMap::new()),
        variables: BTreeMap::new(),
        bail: false,
    };
    let root: Origin = vec![(None, Vec::new())];
    let out = w.eval(ast, &root);
    w.consume(out);
    if w.bail || (w.input == Demand::All && w.variables.values().all(|d| *d == Demand::All)) {
        return None;
    }
    Some(Demands {
        input: w.input,
        variables: w.variables,
    })
}

/// Functions that take the context as their first argument when called with fewer
/// arguments than this many (JSONata signatures with `-`).
fn context_arity(name: &str) -> Option<usize> {
    Some(match name {
        "lowercase" | "uppercase" | "length" | "trim" | "base64encode" | "base64decode"
        | "encodeUrlComponent" | "encodeUrl" | "decodeUrlComponent" | "decodeUrl" | "number"
        | "floor" | "ceil" | "abs" | "sqrt" | "boolean" | "not" | "keys" | "spread" | "clone" => 1,
        "string" | "substringBefore" | "substringAfter" | "contains" | "power" | "formatBase"
        | "formatInteger" | "parseInteger" | "lookup" | "each" | "sift" | "toMillis" | "round" => 2,
        "substring" | "pad" | "match" | "split" | "formatNumber" | "fromMillis" => 3,
        "replace" => 4,
        _ => return None,
    })
}

impl Walker {
    fn consume(&mut self, origin: Origin) {
        self.mark(origin, false);
    }

    /// `shape_only`: only whether the values exist and how many there are is read
    /// (`$count`, `$exists`), so their fields are not.
    fn mark(&mut self, origin: Origin, shape_only: bool) {
        for (root, path) in origin {
            let d = match root {
                None => &mut self.input,
                Some(v) => self
                    .variables
                    .entry(v)
                    .or_insert_with(|| Demand::Fields(BTreeMap::new())),
            };
            if shape_only {
                d.touch(&path)
            } else {
                d.at(&path)
            }
        }
    }

    fn eval_consume(&mut self, node: &AstNode, ctx: &Origin) {
        let o = self.eval(node, ctx);
        self.consume(o);
    }

    fn eval(&mut self, node: &AstNode, ctx: &Origin) -> Origin {
        if self.bail {
            return Vec::new();
        }
        match node {
            AstNode::String(_)
            | AstNode::Number(_)
            | AstNode::Boolean(_)
            | AstNode::Null
            | AstNode::Undefined
            | AstNode::Regex { .. } => Vec::new(),
            AstNode::Name(n) => ctx
                .iter()
                .map(|(r, p)| {
                    let mut p = p.clone();
                    p.push(n.clone());
                    (r.clone(), p)
                })
                .collect(),
            AstNode::Variable(name) if name.is_empty() => ctx.clone(),
            AstNode::Variable(name) => {
                if super::analyze::is_builtin(name) || super::functions::bit(name) != 0 {
                    // A function value; a variable of that name would be read whole.
                    self.consume(vec![(Some(name.clone()), Vec::new())]);
                    return Vec::new();
                }
                vec![(Some(name.clone()), Vec::new())]
            }
            AstNode::Path { steps } => {
                let mut cur = ctx.clone();
                for step in steps {
                    if step.focus.is_some()
                        || step.index_var.is_some()
                        || step.ancestor_label.is_some()
                        || step.is_tuple
                    {
                        self.bail = true;
                        return Vec::new();
                    }
                    // A step other than a field name runs once per value of its input:
                    // how many there are is read, even when the step reads none of them
                    // (`a.(1)`, `a.$v`).
                    if !matches!(step.node, AstNode::Name(_)) {
                        self.mark(cur.clone(), true);
                    }
                    cur = self.eval(&step.node, &cur);
                    for stage in &step.stages {
                        match stage {
                            Stage::Filter(f) => self.eval_consume(f, &cur),
                            Stage::KeepArray => {}
                            Stage::Index(_) => self.bail = true,
                        }
                    }
                }
                cur
            }
            AstNode::Binary { op, lhs, rhs } => {
                if matches!(
                    op,
                    BinaryOp::ColonEqual | BinaryOp::FocusBind | BinaryOp::IndexBind
                ) {
                    self.bail = true;
                    return Vec::new();
                }
                self.eval_consume(lhs, ctx);
                self.eval_consume(rhs, ctx);
                Vec::new()
            }
            AstNode::Unary { operand, .. } => {
                self.eval_consume(operand, ctx);
                Vec::new()
            }
            AstNode::Function { name, args, .. } => {
                let uses_context = match context_arity(name) {
                    Some(n) => args.len() < n,
                    None => !super::analyze::is_builtin(name) && super::functions::bit(name) == 0,
                };
                if uses_context {
                    self.consume(ctx.clone());
                }
                if !super::analyze::is_builtin(name) && super::functions::bit(name) == 0 {
                    // A function held by a variable.
                    self.consume(vec![(Some(name.clone()), Vec::new())]);
                }
                let shape_only = matches!(name.as_str(), "count" | "exists") && args.len() == 1;
                for a in args {
                    if matches!(a, AstNode::Placeholder) {
                        self.bail = true;
                    }
                    let o = self.eval(a, ctx);
                    self.mark(o, shape_only);
                }
                Vec::new()
            }
            AstNode::Array(items) | AstNode::ArrayGroup(items) | AstNode::Block(items) => {
                for i in items {
                    self.eval_consume(i, ctx);
                }
                Vec::new()
            }
            AstNode::Object(pairs) => {
                for (k, v) in pairs {
                    self.eval_consume(k, ctx);
                    self.eval_consume(v, ctx);
                }
                Vec::new()
            }
            AstNode::ObjectTransform { input, pattern } => {
                let cur = self.eval(input, ctx);
                for (k, v) in pattern {
                    self.eval_consume(k, &cur);
                    self.eval_consume(v, &cur);
                }
                Vec::new()
            }
            AstNode::Conditional {
                condition,
                then_branch,
                else_branch,
            } => {
                self.eval_consume(condition, ctx);
                self.eval_consume(then_branch, ctx);
                if let Some(e) = else_branch {
                    self.eval_consume(e, ctx);
                }
                Vec::new()
            }
            AstNode::Wildcard | AstNode::Descendant => {
                self.consume(ctx.clone());
                Vec::new()
            }
            AstNode::FunctionApplication(inner) => self.eval(inner, ctx),
            AstNode::Sort { input, terms } => {
                let cur = self.eval(input, ctx);
                for (t, _) in terms {
                    self.eval_consume(t, &cur);
                }
                cur
            }
            AstNode::Placeholder
            | AstNode::ParentVariable(_)
            | AstNode::Parent(_)
            | AstNode::Call { .. }
            | AstNode::Lambda { .. }
            | AstNode::Transform { .. } => {
                self.bail = true;
                Vec::new()
            }
        }
    }
}

/// Converts the parts of `v` that `d` reads.
/// An object given as its fields, converted as [`to_jvalue_pruned`] would convert the
/// object (`None`: no demand analysis, everything).
pub fn object_from_fields(fields: &[(&str, &Value)], d: Option<&Demand>) -> JValue {
    let m: JMap = match d {
        Some(Demand::Fields(wanted)) => wanted
            .iter()
            .filter_map(|(k, d)| {
                fields
                    .iter()
                    .find(|(name, _)| name == k)
                    .map(|(_, v)| (k.clone(), to_jvalue_pruned(v, d)))
            })
            .collect(),
        _ => fields
            .iter()
            .map(|(k, v)| (k.to_string(), to_jvalue(v)))
            .collect(),
    };
    JValue::Object(Rc::new(m))
}

pub fn to_jvalue_pruned(v: &Value, d: &Demand) -> JValue {
    let Demand::Fields(fields) = d else {
        return to_jvalue(v);
    };
    match v {
        Value::Object(map) => {
            let m: JMap = fields
                .iter()
                .filter_map(|(k, d)| map.get(k).map(|v| (k.clone(), to_jvalue_pruned(v, d))))
                .collect();
            JValue::Object(Rc::new(m))
        }
        Value::Array(items) => {
            let mut flat = true;
            let items = items
                .iter()
                .map(|v| {
                    flat &= !v.is_array();
                    to_jvalue_pruned(v, d)
                })
                .collect();
            JValue::Array(JArray::new_flat(items, flat))
        }
        other => to_jvalue(other),
    }
}
