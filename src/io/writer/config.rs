//! `WriterConfig`: a ResultWriter's settings (where results go, their format and
//! transformation, how files are split), parsed from the resolved ResultWriter object.

use serde_json::{Map, Value};

/// The only Resource a ResultWriter accepts.
pub const PUT_OBJECT_RESOURCE: &str = "arn:aws:states:::s3:putObject";
/// Result files are split at 5 GB (the largest object a single S3 PutObject writes).
pub const DEFAULT_MAX_FILE_BYTES: u64 = 5 * 1024 * 1024 * 1024;

/// How result files are formatted (`WriterConfig.OutputType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputType {
    /// A JSON array per file (AWS's default).
    Json,
    /// JSON Lines.
    Jsonl,
    /// Apache Parquet (snappy). A local extension, not an AWS value: rows are the records as
    /// objects (a non-object output becomes `{"value": v}`), the schema inferred from the first
    /// chunk written to each status's files.
    Parquet,
}

impl OutputType {
    /// The result files' extension.
    pub fn extension(self) -> &'static str {
        match self {
            OutputType::Json => "json",
            OutputType::Jsonl => "jsonl",
            OutputType::Parquet => "parquet",
        }
    }
}

/// What is written per child execution (`WriterConfig.Transformation`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transformation {
    /// The full execution record (the default when exporting without a WriterConfig).
    None,
    /// The outputs only (the default without a ResultWriter).
    Compact,
    /// The outputs, array outputs flattened into their elements.
    Flatten,
}

/// A ResultWriter, its Parameters/Arguments already evaluated.
#[derive(Debug, Clone)]
pub struct WriterConfig {
    pub raw: Value,
    /// `Parameters.Bucket`; None when only a WriterConfig is given (results are not exported,
    /// the transformation applies to the state's output: see [`WriterConfig::transform_outputs`]).
    pub bucket: Option<String>,
    /// `Parameters.Prefix` without leading or trailing `/` ("" when absent).
    pub prefix: String,
    pub output_type: OutputType,
    pub transformation: Transformation,
    /// A result file is closed before it would pass this many bytes.
    pub max_file_bytes: u64,
    /// A result file holds at most this many records.
    pub max_file_items: usize,
}

fn str_field<'a>(o: &'a Map<String, Value>, k: &str) -> Result<Option<&'a str>, String> {
    match o.get(k) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(other) => Err(format!(
            "ResultWriter field '{k}' must be a string, got {other}"
        )),
    }
}

impl WriterConfig {
    /// Parses `{"Resource", "Parameters"|"Arguments": {"Bucket", "Prefix"}, "WriterConfig":
    /// {"OutputType", "Transformation"}}`. Without a WriterConfig an export writes JSON with the
    /// NONE transformation; a WriterConfig alone (no Resource) defaults to JSON and COMPACT.
    pub fn from_value(v: &Value) -> Result<WriterConfig, String> {
        let o = v
            .as_object()
            .ok_or_else(|| format!("ResultWriter must be an object, got {v}"))?;
        for k in o.keys() {
            if !matches!(
                k.as_str(),
                "Resource" | "Parameters" | "Arguments" | "WriterConfig"
            ) {
                return Err(format!("ResultWriter has an unknown field '{k}'"));
            }
        }
        let resource = str_field(o, "Resource")?;
        if let Some(r) = resource
            && r != PUT_OBJECT_RESOURCE
        {
            return Err(format!(
                "ResultWriter Resource must be '{PUT_OBJECT_RESOURCE}', got '{r}'"
            ));
        }
        let params = match (o.get("Parameters"), o.get("Arguments")) {
            (Some(_), Some(_)) => {
                return Err("ResultWriter has both Parameters and Arguments".into());
            }
            (Some(p), None) | (None, Some(p)) => Some(
                p.as_object()
                    .ok_or_else(|| format!("ResultWriter Parameters must be an object, got {p}"))?,
            ),
            (None, None) => None,
        };
        let wc = match o.get("WriterConfig") {
            None => None,
            Some(Value::Object(m)) => Some(m),
            Some(other) => {
                return Err(format!(
                    "ResultWriter WriterConfig must be an object, got {other}"
                ));
            }
        };
        if resource.is_some() != params.is_some() {
            return Err("ResultWriter needs both Resource and Parameters (or Arguments)".into());
        }
        if resource.is_none() && wc.is_none() {
            return Err(
                "ResultWriter must have Resource and Parameters, a WriterConfig, or all three"
                    .into(),
            );
        }
        let (bucket, prefix) = match params {
            Some(p) => {
                let b =
                    str_field(p, "Bucket")?.ok_or("ResultWriter Parameters must have a Bucket")?;
                if b.is_empty() {
                    return Err("ResultWriter Bucket must not be empty".into());
                }
                let prefix = str_field(p, "Prefix")?
                    .unwrap_or("")
                    .trim_matches('/')
                    .to_string();
                (Some(b.to_string()), prefix)
            }
            None => (None, String::new()),
        };
        let exporting = bucket.is_some();
        let mut output_type = OutputType::Json;
        let mut transformation = if exporting && wc.is_none() {
            Transformation::None
        } else {
            Transformation::Compact
        };
        if let Some(wc) = wc {
            for k in wc.keys() {
                if !matches!(k.as_str(), "OutputType" | "Transformation") {
                    return Err(format!("WriterConfig has an unknown field '{k}'"));
                }
            }
            if let Some(t) = str_field(wc, "OutputType")? {
                output_type = match t {
                    "JSON" => OutputType::Json,
                    "JSONL" => OutputType::Jsonl,
                    "PARQUET" => OutputType::Parquet,
                    other => {
                        return Err(format!(
                            "WriterConfig OutputType must be JSON or JSONL, got '{other}'"
                        ));
                    }
                };
            }
            if let Some(t) = str_field(wc, "Transformation")? {
                transformation = match t {
                    "NONE" => Transformation::None,
                    "COMPACT" => Transformation::Compact,
                    "FLATTEN" => Transformation::Flatten,
                    other => {
                        return Err(format!(
                            "WriterConfig Transformation must be NONE, COMPACT or FLATTEN, got '{other}'"
                        ));
                    }
                };
            }
        }
        Ok(WriterConfig {
            raw: v.clone(),
            bucket,
            prefix,
            output_type,
            transformation,
            max_file_bytes: DEFAULT_MAX_FILE_BYTES,
            max_file_items: usize::MAX,
        })
    }

    /// Whether results are exported to a bucket (Resource and Parameters given).
    pub fn exports(&self) -> bool {
        self.bucket.is_some()
    }

    /// The Map's inline output for a WriterConfig without export: COMPACT and NONE keep the
    /// outputs, FLATTEN splices array outputs into the result.
    pub fn transform_outputs(&self, outputs: Vec<Value>) -> Vec<Value> {
        match self.transformation {
            Transformation::Flatten => {
                let mut out = Vec::with_capacity(outputs.len());
                for v in outputs {
                    flatten_into(v, &mut out);
                }
                out
            }
            _ => outputs,
        }
    }
}

fn flatten_into(v: Value, out: &mut Vec<Value>) {
    match v {
        Value::Array(a) => out.extend(a),
        other => out.push(other),
    }
}
