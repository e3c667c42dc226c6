//! One walk over a parsed expression: the free `$variables` it reads, the Step
//! Functions functions it may call, and the JSONata 2.1 operators (`??`, `?:`) that
//! Step Functions' JSONata 2.0.6 does not have.

use std::collections::BTreeSet;

use jsonata_core::ast::{AstNode, BinaryOp, PathStep, Stage};

use super::functions;

#[derive(Default)]
pub struct Analysis {
    /// Free variables, sorted, without `$`. An over-approximation: names bound by
    /// lambda parameters and by `:=` earlier in the same block are left out; a
    /// built-in's name used as a value (`$map(xs, $string)`) is kept, since a workflow
    /// variable of that name would shadow it.
    pub variables: BTreeSet<String>,
    /// `functions::*` bits of the Step Functions functions named anywhere.
    pub functions: u16,
    /// The first operator JSONata 2.0.6 rejects: (`??` or `?:`).
    pub rejected: Option<&'static str>,
}

pub fn analyze(ast: &AstNode) -> Analysis {
    let mut w = Walker {
        out: Analysis::default(),
        scopes: vec![Vec::new()],
    };
    w.node(ast);
    w.out
}

struct Walker {
    out: Analysis,
    scopes: Vec<Vec<String>>,
}

impl Walker {
    fn bound(&self, name: &str) -> bool {
        self.scopes.iter().any(|s| s.iter().any(|n| n == name))
    }

    fn bind(&mut self, name: &str) {
        if let Some(top) = self.scopes.last_mut() {
            top.push(name.to_string());
        }
    }

    fn read(&mut self, name: &str) {
        if name.is_empty() || self.bound(name) {
            return;
        }
        self.out.functions |= functions::bit(name);
        self.out.variables.insert(name.to_string());
    }

    fn scoped(&mut self, names: &[String], f: impl FnOnce(&mut Self)) {
        self.scopes.push(names.to_vec());
        f(self);
        self.scopes.pop();
    }

    fn nodes(&mut self, nodes: &[AstNode]) {
        for n in nodes {
            self.node(n);
        }
    }

    fn pairs(&mut self, pairs: &[(AstNode, AstNode)]) {
        for (k, v) in pairs {
            self.node(k);
            self.node(v);
        }
    }

    fn step(&mut self, step: &PathStep) {
        self.node(&step.node);
        if let Some(v) = &step.focus {
            self.bind(v);
        }
        if let Some(v) = &step.index_var {
            self.bind(v);
        }
        for stage in &step.stages {
            match stage {
                Stage::Filter(n) => self.node(n),
                Stage::Index(v) => self.bind(v),
                Stage::KeepArray => {}
            }
        }
    }

    fn node(&mut self, node: &AstNode) {
        match node {
            AstNode::String(_)
            | AstNode::Name(_)
            | AstNode::Number(_)
            | AstNode::Boolean(_)
            | AstNode::Null
            | AstNode::Undefined
            | AstNode::Placeholder
            | AstNode::Regex { .. }
            | AstNode::Wildcard
            | AstNode::Descendant
            | AstNode::Parent(_)
            | AstNode::ParentVariable(_) => {}
            AstNode::Variable(name) => self.read(name),
            AstNode::Path { steps } => self.scoped(&[], |w| steps.iter().for_each(|s| w.step(s))),
            AstNode::Binary { op, lhs, rhs } => match op {
                BinaryOp::ColonEqual => {
                    if let AstNode::Variable(name) = &**lhs {
                        // A function may call itself by the name it is bound to.
                        if matches!(**rhs, AstNode::Lambda { .. }) {
                            self.bind(name);
                        }
                        self.node(rhs);
                        self.bind(name);
                    } else {
                        self.node(lhs);
                        self.node(rhs);
                    }
                }
                _ => {
                    if self.out.rejected.is_none() {
                        self.out.rejected = match op {
                            BinaryOp::Coalesce => Some("??"),
                            BinaryOp::Default => Some("?:"),
                            _ => None,
                        };
                    }
                    self.node(lhs);
                    self.node(rhs);
                }
            },
            AstNode::Unary { operand, .. } => self.node(operand),
            AstNode::Function { name, args, .. } => {
                if !self.bound(name) {
                    self.out.functions |= functions::bit(name);
                    // A call of a name the expression does not define may be a call
                    // of a bound function value.
                    if functions::bit(name) == 0 && !is_builtin(name) {
                        self.out.variables.insert(name.clone());
                    }
                }
                self.nodes(args);
            }
            AstNode::Call { procedure, args } => {
                self.node(procedure);
                self.nodes(args);
            }
            AstNode::Lambda { params, body, .. } => self.scoped(params, |w| w.node(body)),
            AstNode::Array(items) | AstNode::ArrayGroup(items) => self.nodes(items),
            AstNode::Block(items) => self.scoped(&[], |w| w.nodes(items)),
            AstNode::Object(pairs) => self.pairs(pairs),
            AstNode::ObjectTransform { input, pattern } => {
                self.node(input);
                self.pairs(pattern);
            }
            AstNode::Conditional {
                condition,
                then_branch,
                else_branch,
            } => {
                self.node(condition);
                self.node(then_branch);
                if let Some(e) = else_branch {
                    self.node(e);
                }
            }
            AstNode::FunctionApplication(inner) => self.node(inner),
            AstNode::Sort { input, terms } => {
                self.node(input);
                for (t, _) in terms {
                    self.node(t);
                }
            }
            AstNode::Transform {
                location,
                update,
                delete,
            } => {
                self.node(location);
                self.node(update);
                if let Some(d) = delete {
                    self.node(d);
                }
            }
        }
    }
}

/// JSONata 2.0.6's built-in functions (and jsonata-core's).
pub fn is_builtin(name: &str) -> bool {
    matches!(
        name,
        "string"
            | "length"
            | "substring"
            | "substringBefore"
            | "substringAfter"
            | "uppercase"
            | "lowercase"
            | "trim"
            | "pad"
            | "contains"
            | "split"
            | "join"
            | "match"
            | "replace"
            | "eval"
            | "base64encode"
            | "base64decode"
            | "encodeUrlComponent"
            | "encodeUrl"
            | "decodeUrlComponent"
            | "decodeUrl"
            | "number"
            | "abs"
            | "floor"
            | "ceil"
            | "round"
            | "power"
            | "sqrt"
            | "random"
            | "formatNumber"
            | "formatBase"
            | "formatInteger"
            | "parseInteger"
            | "sum"
            | "max"
            | "min"
            | "average"
            | "boolean"
            | "not"
            | "exists"
            | "count"
            | "append"
            | "sort"
            | "reverse"
            | "shuffle"
            | "distinct"
            | "zip"
            | "keys"
            | "lookup"
            | "spread"
            | "merge"
            | "sift"
            | "each"
            | "error"
            | "assert"
            | "type"
            | "map"
            | "filter"
            | "reduce"
            | "single"
            | "now"
            | "millis"
            | "fromMillis"
            | "toMillis"
            | "clone"
    )
}
