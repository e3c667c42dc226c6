//! Predicate pushdown: which Parquet row groups a program can skip, from their min/max
//! statistics, because every row they hold would take a branch of the leading Choice
//! that drops the item (a Pass whose output is `[]`, which FLATTEN drops).
//!
//! A row group is skipped only when the statistics prove it: comparisons of a top-level
//! integer column without nulls with a number literal, combined with and/or/not; anything
//! else is "unknown" and keeps the row group. The caller applies the filter only under
//! FLATTEN (elsewhere every item has an output) and without MaxItems.

use super::ColumnarProgram;
use super::compile::{CRule, CState, CTpl, Produce, ResultAt};
use crate::asl::choice::{Cmp, Op, Operand};
use crate::io::reader::{RowGroupFilter, column_range_i64};
use crate::jsonata::CmpOp;
use parquet::file::metadata::RowGroupMetaData;
use parquet::schema::types::SchemaDescriptor;
use serde_json::Value;
use std::sync::Arc;

/// Largest integer both JSONPath (i64/f64) and JSONata (f64) compare exactly.
const EXACT: i64 = 1 << 53;

/// A condition over row-group statistics.
#[derive(Debug, Clone)]
pub(crate) enum StatRule {
    /// `column op value`.
    Cmp(String, CmpOp, f64),
    And(Vec<StatRule>),
    Or(Vec<StatRule>),
    Not(Box<StatRule>),
    Unknown,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tri {
    True,
    False,
    Unknown,
}

impl Tri {
    fn not(self) -> Tri {
        match self {
            Tri::True => Tri::False,
            Tri::False => Tri::True,
            Tri::Unknown => Tri::Unknown,
        }
    }
}

impl StatRule {
    fn eval(&self, rg: &RowGroupMetaData, schema: &SchemaDescriptor) -> Tri {
        match self {
            StatRule::Unknown => Tri::Unknown,
            StatRule::Not(r) => r.eval(rg, schema).not(),
            StatRule::And(rs) | StatRule::Or(rs) => {
                // And: one False decides, all True make True; Or the other way round.
                let decisive = if matches!(self, StatRule::And(_)) {
                    Tri::False
                } else {
                    Tri::True
                };
                let ts: Vec<Tri> = rs.iter().map(|r| r.eval(rg, schema)).collect();
                if ts.contains(&decisive) {
                    decisive
                } else if ts.iter().all(|t| *t == decisive.not()) {
                    decisive.not()
                } else {
                    Tri::Unknown
                }
            }
            StatRule::Cmp(col, op, v) => match column_range_i64(rg, schema, col) {
                Some((min, max)) if -EXACT <= min && max <= EXACT => {
                    range_cmp(min as f64, max as f64, *op, *v)
                }
                _ => Tri::Unknown,
            },
        }
    }

    fn describe(&self) -> String {
        match self {
            StatRule::Unknown => "?".into(),
            StatRule::Cmp(c, op, v) => format!("{c} {} {v}", op.symbol()),
            StatRule::Not(r) => format!("not ({})", r.describe()),
            StatRule::And(rs) | StatRule::Or(rs) => {
                let sep = if matches!(self, StatRule::And(_)) {
                    " and "
                } else {
                    " or "
                };
                let parts: Vec<String> = rs.iter().map(|r| format!("({})", r.describe())).collect();
                parts.join(sep)
            }
        }
    }
}

/// Whether `x op v` holds for every x in [min, max] (True), for none (False), or is unknown.
fn range_cmp(min: f64, max: f64, op: CmpOp, v: f64) -> Tri {
    let (all, none) = match op {
        CmpOp::Gt => (min > v, max <= v),
        CmpOp::Ge => (min >= v, max < v),
        CmpOp::Lt => (max < v, min >= v),
        CmpOp::Le => (max <= v, min > v),
        CmpOp::Eq => (min == v && max == v, v < min || v > max),
        CmpOp::Ne => (v < min || v > max, min == v && max == v),
    };
    match (all, none) {
        (true, _) => Tri::True,
        (_, true) => Tri::False,
        _ => Tri::Unknown,
    }
}

fn from_rule(r: &CRule) -> StatRule {
    match r {
        CRule::And(rs) => StatRule::And(rs.iter().map(from_rule).collect()),
        CRule::Or(rs) => StatRule::Or(rs.iter().map(from_rule).collect()),
        CRule::Not(r) => StatRule::Not(Box::new(from_rule(r))),
        CRule::Cmp {
            names,
            op: Op::Numeric(c),
            operand: Operand::Number(n),
            ..
        } => match (names.as_slice(), n.as_f64()) {
            ([col], Some(v)) => {
                let op = match c {
                    Cmp::Equals => CmpOp::Eq,
                    Cmp::LessThan => CmpOp::Lt,
                    Cmp::GreaterThan => CmpOp::Gt,
                    Cmp::LessThanEquals => CmpOp::Le,
                    Cmp::GreaterThanEquals => CmpOp::Ge,
                };
                StatRule::Cmp(col.clone(), op, v)
            }
            _ => StatRule::Unknown,
        },
        CRule::Cmp { .. } => StatRule::Unknown,
        CRule::Ata(t) => from_tpl(t),
    }
}

fn from_tpl(t: &CTpl) -> StatRule {
    let field_lit = |a: &CTpl, b: &CTpl| match (a, b) {
        (CTpl::Path(names), CTpl::Lit(Value::Number(n))) => match names.as_slice() {
            [col] => n.as_f64().map(|v| (col.clone(), v)),
            _ => None,
        },
        _ => None,
    };
    match t {
        CTpl::And(a, b) => StatRule::And(vec![from_tpl(a), from_tpl(b)]),
        CTpl::Or(a, b) => StatRule::Or(vec![from_tpl(a), from_tpl(b)]),
        CTpl::Not(a) => StatRule::Not(Box::new(from_tpl(a))),
        CTpl::Cmp(op, a, b) => {
            if let Some((col, v)) = field_lit(a, b) {
                StatRule::Cmp(col, *op, v)
            } else if let Some((col, v)) = field_lit(b, a) {
                let flipped = match op {
                    CmpOp::Lt => CmpOp::Gt,
                    CmpOp::Le => CmpOp::Ge,
                    CmpOp::Gt => CmpOp::Lt,
                    CmpOp::Ge => CmpOp::Le,
                    o => *o,
                };
                StatRule::Cmp(col, flipped, v)
            } else {
                StatRule::Unknown
            }
        }
        _ => StatRule::Unknown,
    }
}

/// The leading Choice as (rule, whether its target drops the item) per branch, and
/// whether the default drops; None when the program doesn't start with a Choice or no
/// branch drops.
pub(crate) struct Pushdown {
    branches: Vec<(StatRule, bool)>,
    default_drops: bool,
    /// The top-level fields the leading Choice's rules read.
    columns: Vec<String>,
}

impl Pushdown {
    pub(super) fn of(p: &ColumnarProgram) -> Option<Pushdown> {
        if p.selector.is_some() {
            return None;
        }
        let CState::Choice { branches, default } = p.states.get(p.start)? else {
            return None;
        };
        let drops = |i: usize| {
            matches!(
                p.states.get(i),
                Some(CState::Pass {
                    produce: Produce::Tpl(CTpl::Lit(Value::Array(a))),
                    result_at: ResultAt::Replace,
                    next: None,
                }) if a.is_empty()
            )
        };
        let pd = Pushdown {
            branches: branches
                .iter()
                .map(|(r, t)| (from_rule(r), drops(*t)))
                .collect(),
            default_drops: default.is_some_and(drops),
            columns: {
                let mut cols: Vec<String> = Vec::new();
                for (r, _) in branches {
                    super::compile::rule_paths(r, &mut |n| {
                        if let Some(f) = n.first().filter(|f| !cols.contains(f)) {
                            cols.push(f.clone());
                        }
                    });
                }
                cols
            },
        };
        (pd.default_drops || pd.branches.iter().any(|(_, d)| *d)).then_some(pd)
    }

    /// True when statistics prove every row of the row group is dropped.
    fn skips(&self, rg: &RowGroupMetaData, schema: &SchemaDescriptor) -> bool {
        for (rule, drops) in &self.branches {
            let t = rule.eval(rg, schema);
            match (drops, t) {
                (true, Tri::True) => return true,
                (false, Tri::False) | (true, _) => {}
                (false, _) => return false,
            }
        }
        self.default_drops
    }

    /// In words, for `asl explain`.
    pub(super) fn describe(&self) -> String {
        let mut parts = Vec::new();
        for (i, (r, drops)) in self.branches.iter().enumerate() {
            let what = if *drops { "drops" } else { "keeps" };
            parts.push(format!("rule {i} [{}] {what}", r.describe()));
        }
        parts.push(format!(
            "default {}",
            if self.default_drops { "drops" } else { "keeps" }
        ));
        format!(
            "skips Parquet row groups whose min/max statistics send every row to a dropping branch ([] under FLATTEN): {}",
            parts.join("; ")
        )
    }

    /// The row-level form: which columns to read first and which branches drop.
    pub(super) fn row_drop(&self) -> RowDrop {
        RowDrop {
            columns: self.columns.clone(),
            drops: self.branches.iter().map(|(_, d)| *d).collect(),
            default_drops: self.default_drops,
        }
    }

    pub(super) fn filter(self) -> RowGroupFilter {
        let me = Arc::new(self);
        Arc::new(move |rg, schema| !me.skips(rg, schema))
    }
}

/// Row-level predicate pushdown (late materialization): a reader decodes `columns`
/// first, asks [`ColumnarProgram::keep_rows`] which rows the leading Choice keeps, and
/// decodes the other columns for those rows only.
#[derive(Debug, Clone)]
pub struct RowDrop {
    pub columns: Vec<String>,
    pub(crate) drops: Vec<bool>,
    pub(crate) default_drops: bool,
}

#[cfg(test)]
mod tests {
    use super::{CmpOp, Tri, range_cmp};

    #[test]
    fn ranges_decide_only_when_every_value_agrees() {
        assert_eq!(range_cmp(500.0, 599.0, CmpOp::Ge, 500.0), Tri::True);
        assert_eq!(range_cmp(200.0, 499.0, CmpOp::Ge, 500.0), Tri::False);
        assert_eq!(range_cmp(200.0, 500.0, CmpOp::Ge, 500.0), Tri::Unknown);
        assert_eq!(range_cmp(0.0, 1000.0, CmpOp::Gt, 1000.0), Tri::False);
        assert_eq!(range_cmp(1001.0, 2000.0, CmpOp::Gt, 1000.0), Tri::True);
        assert_eq!(range_cmp(5.0, 5.0, CmpOp::Eq, 5.0), Tri::True);
        assert_eq!(range_cmp(1.0, 4.0, CmpOp::Eq, 5.0), Tri::False);
        assert_eq!(range_cmp(1.0, 4.0, CmpOp::Ne, 5.0), Tri::True);
        assert_eq!(range_cmp(1.0, 9.0, CmpOp::Lt, 5.0), Tri::Unknown);
        assert_eq!(range_cmp(1.0, 4.0, CmpOp::Le, 4.0), Tri::True);
    }
}
