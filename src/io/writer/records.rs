//! The records of result files: what each item contributes under each transformation,
//! and the full (NONE) record of a child execution, as AWS writes them.

use super::config::Transformation;
use serde_json::{Map, Value, json};
use std::borrow::Cow;

/// Makes the records of result files by the transformation; thread-safe, so that JSON
/// and JSONL records are serialized where the items run.
#[derive(Debug, Clone)]
pub struct RecordSerializer {
    pub(super) arn_head: String,
    pub(super) sm_path: String,
    pub(super) transformation: Transformation,
}

/// Serialized records back to back, with where each ends: many records in one
/// allocation, reused from one chunk of items to the next.
#[derive(Debug, Default)]
pub struct RecordBuf {
    bytes: Vec<u8>,
    ends: Vec<usize>,
}

impl RecordBuf {
    /// Appends `v` as one record.
    pub fn push(&mut self, v: &Value) {
        serde_json::to_writer(&mut self.bytes, v).expect("a JSON value serializes");
        self.ends.push(self.bytes.len());
    }

    /// The number of records.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// Forgets the records, keeping the memory.
    pub fn clear(&mut self) {
        self.bytes.clear();
        self.ends.clear();
    }

    /// The records, in order.
    pub fn iter(&self) -> impl Iterator<Item = &[u8]> {
        let mut start = 0;
        self.ends.iter().map(move |&end| {
            let r = &self.bytes[start..end];
            start = end;
            r
        })
    }
}

impl RecordSerializer {
    /// The records of one item: a failed item's full record whatever the transformation
    /// (as AWS writes it); a succeeded item's full record (NONE), its output (COMPACT), or
    /// its output's elements when that is an array (FLATTEN).
    pub(super) fn records<'a>(&self, kind: Kind, item: &'a ItemResult) -> Vec<Cow<'a, Value>> {
        match (kind, self.transformation) {
            (Kind::Failed, _) | (_, Transformation::None) => {
                vec![Cow::Owned(self.full_record(kind, item))]
            }
            (_, Transformation::Flatten) => match &item.output {
                Value::Array(a) => a.iter().map(Cow::Borrowed).collect(),
                other => vec![Cow::Borrowed(other)],
            },
            (_, Transformation::Compact) => vec![Cow::Borrowed(&item.output)],
        }
    }

    /// Appends the serialized succeeded records of one item (see [`Self::records`]).
    pub fn succeeded(&self, item: &ItemResult, out: &mut RecordBuf) {
        for r in self.records(Kind::Succeeded, item) {
            out.push(&r);
        }
    }

    /// Appends the serialized record of a failed item.
    pub fn failed(&self, item: &ItemResult, out: &mut RecordBuf) {
        out.push(&self.full_record(Kind::Failed, item));
    }

    /// The full (NONE) record of one child execution.
    fn full_record(&self, kind: Kind, item: &ItemResult) -> Value {
        let (arn_head, sm_path) = (&self.arn_head, &self.sm_path);
        let name = uuid::Uuid::new_v4().to_string();
        let now = now_iso();
        let mut m = Map::new();
        if kind == Kind::Failed {
            let field = |k: &str| {
                item.output
                    .get(k)
                    .and_then(Value::as_str)
                    .map(str::to_string)
            };
            if let Some(c) = item.cause.clone().or_else(|| field("Cause")) {
                m.insert("Cause".into(), Value::String(c));
            }
            if let Some(e) = item.error.clone().or_else(|| field("Error")) {
                m.insert("Error".into(), Value::String(e));
            }
        }
        m.insert(
            "ExecutionArn".into(),
            json!(format!("{}:execution:{}:{name}", arn_head, sm_path)),
        );
        m.insert("Input".into(), Value::String(item.input.to_string()));
        m.insert("InputDetails".into(), json!({"Included": true}));
        m.insert("Name".into(), Value::String(name));
        if kind == Kind::Succeeded {
            m.insert("Output".into(), Value::String(item.output.to_string()));
            m.insert("OutputDetails".into(), json!({"Included": true}));
        }
        m.insert("RedriveCount".into(), json!(0));
        if kind == Kind::Succeeded {
            m.insert("RedriveStatus".into(), json!("NOT_REDRIVABLE"));
            m.insert(
                "RedriveStatusReason".into(),
                json!("Execution is SUCCEEDED and cannot be redriven"),
            );
        } else {
            m.insert("RedriveStatus".into(), json!("REDRIVABLE_BY_MAP_RUN"));
        }
        m.insert("StartDate".into(), Value::String(now.clone()));
        m.insert(
            "StateMachineArn".into(),
            json!(format!("{arn_head}:stateMachine:{sm_path}")),
        );
        m.insert("Status".into(), json!(kind.name()));
        m.insert("StopDate".into(), Value::String(now));
        Value::Object(m)
    }
}

/// One child execution's record.
#[derive(Debug, Clone)]
pub struct ItemResult {
    pub index: usize,
    pub input: Value,
    /// The output, or `{"Error", "Cause"}` for a failed item.
    pub output: Value,
    pub error: Option<String>,
    pub cause: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    Succeeded,
    Failed,
}

impl Kind {
    pub(super) fn name(self) -> &'static str {
        match self {
            Kind::Succeeded => "SUCCEEDED",
            Kind::Failed => "FAILED",
        }
    }
}

fn now_iso() -> String {
    chrono::Utc::now()
        .format("%Y-%m-%dT%H:%M:%S%.3fZ")
        .to_string()
}
