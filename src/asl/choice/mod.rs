//! Choice rules: the comparison operators, And/Or/Not, Is* tests, StringMatches.
//!
//! CONTRACT (keep these signatures):
//! - `Rule::parse(&Value) -> Result<Rule, String>` parses one rule object (a top-level
//!   rule still has its `Next`, which the caller reads; nested rules don't).
//! - `Rule::eval(&self, env: &dyn Env) -> Result<bool, Failure>`.

use crate::asl::Failure;
use crate::asl::path::Env;
use serde_json::Value;

#[derive(Debug, Clone, PartialEq)]
pub struct Rule {}

impl Rule {
    pub fn parse(v: &Value) -> Result<Rule, String> {
        let _ = v;
        todo!()
    }
    pub fn eval(&self, env: &dyn Env) -> Result<bool, Failure> {
        let _ = env;
        todo!()
    }
}

/// Parses a timestamp as AWS accepts it (RFC 3339). Stub until the choice module lands.
pub fn parse_timestamp(s: &str) -> Option<chrono::DateTime<chrono::FixedOffset>> {
    chrono::DateTime::parse_from_rfc3339(s).ok()
}
