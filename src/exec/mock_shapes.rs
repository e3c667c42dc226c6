//! TestState's `mock.fieldValidationMode`: a mocked result checked against the
//! response shape of the API its Task calls. `STRICT` (the default): every field must
//! be one of the response's, of its type, and the required ones present; `PRESENT`:
//! the fields given must be the response's, of their type; `NONE`: no check. Known
//! here: the optimized integrations' responses (Lambda Invoke, SQS SendMessage, SNS
//! Publish, EventBridge PutEvents, DynamoDB item calls, the HTTP Task, Step Functions
//! StartExecution and its `.sync` forms); a `.waitForTaskToken` result (whatever the
//! answer sends) and other resources are not checked.

use serde_json::Value;

/// How a mocked result is checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Mode {
    #[default]
    Strict,
    Present,
    None,
}

impl Mode {
    pub fn parse(s: &str) -> Option<Mode> {
        Some(match s {
            "STRICT" => Mode::Strict,
            "PRESENT" => Mode::Present,
            "NONE" => Mode::None,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ty {
    Str,
    Int,
    Obj,
    Arr,
    /// A number or a timestamp text.
    Date,
    Any,
}

impl Ty {
    fn accepts(self, v: &Value) -> bool {
        match self {
            Ty::Str => v.is_string(),
            Ty::Int => v.is_i64() || v.is_u64(),
            Ty::Obj => v.is_object(),
            Ty::Arr => v.is_array(),
            Ty::Date => v.is_number() || v.is_string(),
            Ty::Any => true,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Ty::Str => "a string",
            Ty::Int => "an integer",
            Ty::Obj => "an object",
            Ty::Arr => "an array",
            Ty::Date => "a timestamp",
            Ty::Any => "any value",
        }
    }
}

/// A response field: name, type, required.
type Field = (&'static str, Ty, bool);

/// The SDK metadata Step Functions adds to the results of its optimized integrations.
const METADATA: [Field; 2] = [
    ("SdkHttpMetadata", Ty::Obj, false),
    ("SdkResponseMetadata", Ty::Obj, false),
];

const DESCRIBE_EXECUTION: &[Field] = &[
    ("ExecutionArn", Ty::Str, true),
    ("StateMachineArn", Ty::Str, false),
    ("Name", Ty::Str, false),
    ("Status", Ty::Str, true),
    ("StartDate", Ty::Date, false),
    ("StopDate", Ty::Date, false),
    ("Input", Ty::Any, false),
    ("InputDetails", Ty::Obj, false),
    ("Output", Ty::Any, false),
    ("OutputDetails", Ty::Obj, false),
    ("Error", Ty::Str, false),
    ("Cause", Ty::Str, false),
    ("TraceHeader", Ty::Str, false),
    ("MapRunArn", Ty::Str, false),
    ("RedriveCount", Ty::Int, false),
    ("RedriveDate", Ty::Date, false),
    ("RedriveStatus", Ty::Str, false),
    ("RedriveStatusReason", Ty::Str, false),
    ("StateMachineVersionArn", Ty::Str, false),
    ("StateMachineAliasArn", Ty::Str, false),
];

/// The response fields of `resource`'s API, if known.
fn shape(resource: &str) -> Option<&'static [Field]> {
    let integration = resource.split_once(":states:::")?.1;
    Some(match integration {
        "lambda:invoke" => &[
            ("StatusCode", Ty::Int, false),
            ("Payload", Ty::Any, false),
            ("ExecutedVersion", Ty::Str, false),
            ("FunctionError", Ty::Str, false),
            ("LogResult", Ty::Str, false),
        ],
        "sqs:sendMessage" => &[
            ("MessageId", Ty::Str, true),
            ("MD5OfMessageBody", Ty::Str, false),
            ("MD5OfMessageAttributes", Ty::Str, false),
            ("MD5OfMessageSystemAttributes", Ty::Str, false),
            ("SequenceNumber", Ty::Str, false),
        ],
        "sns:publish" => &[
            ("MessageId", Ty::Str, true),
            ("SequenceNumber", Ty::Str, false),
        ],
        "events:putEvents" => &[
            ("Entries", Ty::Arr, false),
            ("FailedEntryCount", Ty::Int, false),
        ],
        "dynamodb:getItem" => &[
            ("Item", Ty::Obj, false),
            ("ConsumedCapacity", Ty::Obj, false),
        ],
        "dynamodb:putItem" | "dynamodb:updateItem" | "dynamodb:deleteItem" => &[
            ("Attributes", Ty::Obj, false),
            ("ConsumedCapacity", Ty::Obj, false),
            ("ItemCollectionMetrics", Ty::Obj, false),
        ],
        "http:invoke" => &[
            ("Headers", Ty::Obj, false),
            ("ResponseBody", Ty::Any, false),
            ("StatusCode", Ty::Int, true),
            ("StatusText", Ty::Str, false),
        ],
        "states:startExecution" => &[
            ("ExecutionArn", Ty::Str, true),
            ("StartDate", Ty::Date, true),
        ],
        "states:startExecution.sync" | "states:startExecution.sync:2" => DESCRIBE_EXECUTION,
        _ => return None,
    })
}

/// Checks a mocked result of a Task with `resource`; Err says what is wrong.
pub fn check(resource: &str, result: &Value, mode: Mode) -> Result<(), String> {
    if mode == Mode::None {
        return Ok(());
    }
    let Some(fields) = shape(resource) else {
        return Ok(());
    };
    let Value::Object(m) = result else {
        return Err(format!(
            "The mocked result of {resource} must be an object with the API's response fields"
        ));
    };
    let all = || fields.iter().chain(METADATA.iter());
    for (k, v) in m {
        let Some((_, ty, _)) = all().find(|(n, _, _)| n == k) else {
            return Err(format!(
                "The field '{k}' is not in the response of {resource} (its fields: {})",
                fields.iter().map(|f| f.0).collect::<Vec<_>>().join(", ")
            ));
        };
        if !ty.accepts(v) {
            return Err(format!(
                "The field '{k}' of the response of {resource} must be {}, got {v}",
                ty.name()
            ));
        }
    }
    if mode == Mode::Strict
        && let Some((name, _, _)) = fields
            .iter()
            .find(|(n, _, req)| *req && !m.contains_key(*n))
    {
        return Err(format!(
            "The field '{name}' of the response of {resource} is required"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn modes_check_what_they_say() {
        let sqs = "arn:aws:states:::sqs:sendMessage";
        assert!(
            check(
                sqs,
                &json!({"MessageId": "m", "MD5OfMessageBody": "x"}),
                Mode::Strict
            )
            .is_ok()
        );
        assert!(
            check(sqs, &json!({"MD5OfMessageBody": "x"}), Mode::Strict)
                .unwrap_err()
                .contains("'MessageId'")
        );
        assert!(check(sqs, &json!({"MD5OfMessageBody": "x"}), Mode::Present).is_ok());
        assert!(
            check(sqs, &json!({"MessageID": "m"}), Mode::Present)
                .unwrap_err()
                .contains("'MessageID' is not in the response")
        );
        assert!(
            check(sqs, &json!({"MessageId": 5}), Mode::Present)
                .unwrap_err()
                .contains("must be a string")
        );
        assert!(check(sqs, &json!({"anything": 1}), Mode::None).is_ok());
        // Unknown resources and callbacks are not checked.
        assert!(
            check(
                "arn:aws:states:::aws-sdk:s3:getObject",
                &json!(1),
                Mode::Strict
            )
            .is_ok()
        );
        assert!(
            check(
                "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
                &json!(1),
                Mode::Strict
            )
            .is_ok()
        );
        assert!(
            check(
                "arn:aws:states:::lambda:invoke",
                &json!({"Payload": {"a": 1}, "StatusCode": 200}),
                Mode::Strict
            )
            .is_ok()
        );
    }
}
