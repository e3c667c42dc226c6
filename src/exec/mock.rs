//! Mocked service integrations, in Step Functions Local's mock configuration format
//! (`MockConfigFile.json`):
//!
//! ```json
//! {"StateMachines": {"LambdaSQSIntegration": {"TestCases": {
//!     "HappyPath": {"LambdaState": "MockedLambdaSuccess", "SQSState": "MockedSQSSuccess"}}}},
//!  "MockedResponses": {
//!     "MockedLambdaSuccess": {"0": {"Return": {"StatusCode": 200, "Payload": {}}}},
//!     "MockedLambdaRetry": {"0": {"Throw": {"Error": "Lambda.TimeoutException", "Cause": "…"}},
//!                           "1-2": {"Return": {}}}}}
//! ```
//!
//! A test case maps Task state names to mocked responses; a response maps invocation
//! numbers (`"0"`, or an inclusive range `"1-2"`) to `{"Return": result}` or
//! `{"Throw": {"Error", "Cause"}}`. Each invocation of a mocked Task (a Retry's
//! attempt, a Map iteration's call) takes the next number, counted per state in one
//! execution; an invocation without a response fails the execution (`States.Runtime`),
//! as Step Functions Local documents. A mocked Task never calls its resource: its
//! result is the mocked one as is (for `lambda:invoke`, the whole Invoke response), and
//! a `.waitForTaskToken` or `.sync` Task gets its token and returns at once. Task
//! states without a mock run their real resource (a "hybrid" test case).

use crate::asl::Failure;
use crate::asl::validate::escape;
use crate::error::{Error, Result};
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// What one invocation of a mocked Task does.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Return(Value),
    Throw(Failure),
}

/// A mocked response: outcomes by invocation number (inclusive ranges, in order).
#[derive(Debug, Clone, PartialEq)]
pub struct MockedResponse {
    pub name: String,
    ranges: Vec<(u32, u32, Outcome)>,
}

impl MockedResponse {
    /// A response that answers every invocation with `outcome` (TestState's mock).
    pub fn always(name: &str, outcome: Outcome) -> MockedResponse {
        MockedResponse {
            name: name.to_string(),
            ranges: vec![(0, u32::MAX, outcome)],
        }
    }

    /// The outcome of invocation `n` (from 0), if the response has one.
    pub fn outcome(&self, n: u32) -> Option<&Outcome> {
        self.ranges
            .iter()
            .find(|(from, to, _)| (*from..=*to).contains(&n))
            .map(|(_, _, o)| o)
    }
}

/// A test case: the mocked response of each mocked state.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TestCase {
    pub state_machine: String,
    pub name: String,
    pub states: HashMap<String, Arc<MockedResponse>>,
}

/// A mock configuration file.
#[derive(Debug, Clone, Default)]
pub struct MockConfig {
    pub path: String,
    /// State machine name → test case name → test case.
    machines: HashMap<String, HashMap<String, Arc<TestCase>>>,
}

/// `"3"` → (3, 3), `"1-2"` → (1, 2).
fn invocation_range(key: &str) -> Option<(u32, u32)> {
    let number = |s: &str| -> Option<u32> {
        (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse().ok())
            .flatten()
    };
    match key.split_once('-') {
        Some((a, b)) => {
            let (a, b) = (number(a)?, number(b)?);
            (a <= b).then_some((a, b))
        }
        None => number(key).map(|n| (n, n)),
    }
}

impl MockConfig {
    pub fn load(path: &str) -> Result<MockConfig> {
        Self::from_value(path, &crate::error::read_json_file(path)?)
    }

    /// `path` names the file in messages, each with the JSON Pointer of the problem.
    pub fn from_value(path: &str, v: &Value) -> Result<MockConfig> {
        let bad = |ptr: &str, what: &str| Error::Input(format!("{path}: {ptr}: {what}"));
        let top = v.as_object().ok_or_else(|| {
            bad(
                "",
                "a mock configuration is a JSON object with StateMachines and MockedResponses",
            )
        })?;
        for k in top.keys() {
            if k != "StateMachines" && k != "MockedResponses" {
                return Err(bad(
                    &format!("/{}", escape(k)),
                    "unknown field (a mock configuration has StateMachines and MockedResponses)",
                ));
            }
        }
        let empty = Map::new();
        let object = |v: Option<&Value>, ptr: &str| -> Result<Map<String, Value>> {
            match v {
                None => Ok(empty.clone()),
                Some(Value::Object(m)) => Ok(m.clone()),
                Some(_) => Err(bad(ptr, "must be a JSON object")),
            }
        };
        let mut responses: HashMap<String, Arc<MockedResponse>> = HashMap::new();
        for (name, r) in object(top.get("MockedResponses"), "/MockedResponses")? {
            let ptr = format!("/MockedResponses/{}", escape(&name));
            let r = r.as_object().ok_or_else(|| {
                bad(
                    &ptr,
                    "a mocked response maps invocation numbers (\"0\", \"1-2\") to Return or Throw",
                )
            })?;
            let mut ranges: Vec<(u32, u32, Outcome)> = Vec::new();
            for (key, o) in r {
                let at = format!("{ptr}/{}", escape(key));
                let (from, to) = invocation_range(key).ok_or_else(|| {
                    bad(&at, &format!("'{key}' is not an invocation number or an inclusive range such as \"0\" or \"1-2\""))
                })?;
                if let Some((f, t, _)) = ranges.iter().find(|(f, t, _)| from <= *t && *f <= to) {
                    return Err(bad(
                        &at,
                        &format!("invocations {from}-{to} overlap {f}-{t} of the same response"),
                    ));
                }
                let o = o.as_object().filter(|o| o.len() == 1).ok_or_else(|| {
                    bad(&at, "must be an object with exactly one of Return or Throw")
                })?;
                let outcome = match (o.get("Return"), o.get("Throw")) {
                    (Some(v), None) => Outcome::Return(v.clone()),
                    (None, Some(Value::Object(t))) => {
                        let text = |f: &str| -> Result<Option<String>> {
                            match t.get(f) {
                                None | Some(Value::Null) => Ok(None),
                                Some(Value::String(s)) => Ok(Some(s.clone())),
                                Some(_) => Err(bad(&format!("{at}/Throw/{f}"), "must be a string")),
                            }
                        };
                        for k in t.keys() {
                            if k != "Error" && k != "Cause" {
                                return Err(bad(
                                    &format!("{at}/Throw/{}", escape(k)),
                                    "unknown field (Throw has Error and Cause)",
                                ));
                            }
                        }
                        Outcome::Throw(Failure {
                            error: text("Error")?,
                            cause: text("Cause")?,
                        })
                    }
                    (None, Some(_)) => {
                        return Err(bad(
                            &format!("{at}/Throw"),
                            "must be an object with Error and Cause",
                        ));
                    }
                    _ => {
                        return Err(bad(
                            &at,
                            "must be an object with exactly one of Return or Throw",
                        ));
                    }
                };
                ranges.push((from, to, outcome));
            }
            ranges.sort_by_key(|(f, _, _)| *f);
            responses.insert(name.clone(), Arc::new(MockedResponse { name, ranges }));
        }
        let mut machines = HashMap::new();
        for (machine, m) in object(top.get("StateMachines"), "/StateMachines")? {
            let ptr = format!("/StateMachines/{}", escape(&machine));
            let m = m
                .as_object()
                .ok_or_else(|| bad(&ptr, "must be an object with TestCases"))?;
            let cases_ptr = format!("{ptr}/TestCases");
            let cases = m
                .get("TestCases")
                .ok_or_else(|| bad(&ptr, "the field 'TestCases' is required"))?
                .as_object()
                .ok_or_else(|| bad(&cases_ptr, "must be a JSON object"))?;
            let mut by_name = HashMap::new();
            for (case, states) in cases {
                let case_ptr = format!("{cases_ptr}/{}", escape(case));
                let states = states.as_object().ok_or_else(|| {
                    bad(
                        &case_ptr,
                        "a test case maps Task state names to mocked response names",
                    )
                })?;
                let mut mocked = HashMap::new();
                for (state, response) in states {
                    let at = format!("{case_ptr}/{}", escape(state));
                    let response = response
                        .as_str()
                        .ok_or_else(|| bad(&at, "must be the name of a mocked response"))?;
                    let r = responses.get(response).ok_or_else(|| {
                        bad(
                            &at,
                            &format!("the mocked response '{response}' is not in MockedResponses"),
                        )
                    })?;
                    mocked.insert(state.clone(), Arc::clone(r));
                }
                by_name.insert(
                    case.clone(),
                    Arc::new(TestCase {
                        state_machine: machine.clone(),
                        name: case.clone(),
                        states: mocked,
                    }),
                );
            }
            machines.insert(machine, by_name);
        }
        Ok(MockConfig {
            path: path.to_string(),
            machines,
        })
    }

    /// The test case `case` of the state machine `machine`.
    pub fn test_case(&self, machine: &str, case: &str) -> Option<Arc<TestCase>> {
        self.machines.get(machine)?.get(case).cloned()
    }

    /// The test case `case` of the only state machine that has one of that name, for a
    /// run whose machine has another name (`asl run` names it after its file).
    pub fn only_test_case(&self, case: &str) -> Option<Arc<TestCase>> {
        let mut found = self.machines.values().filter_map(|m| m.get(case));
        let first = found.next()?;
        found.next().is_none().then(|| Arc::clone(first))
    }

    /// The names of the test cases, as `MACHINE#CASE`, for messages.
    pub fn case_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self
            .machines
            .iter()
            .flat_map(|(m, cases)| cases.keys().map(move |c| format!("{m}#{c}")))
            .collect();
        names.sort();
        names
    }
}

impl TestCase {
    /// The states it mocks that `is_task` says are not Task states of the definition
    /// (a test case naming a state that doesn't exist is refused with its place).
    pub fn unknown_states(&self, is_task: impl Fn(&str) -> bool) -> Vec<String> {
        let mut v: Vec<String> = self
            .states
            .keys()
            .filter(|s| !is_task(s))
            .cloned()
            .collect();
        v.sort();
        v
    }
}

/// A test case being used by one execution: its invocation counters.
#[derive(Debug)]
pub struct Mocks {
    pub case: Arc<TestCase>,
    counters: Mutex<HashMap<String, u32>>,
}

impl Mocks {
    pub fn new(case: Arc<TestCase>) -> Mocks {
        Mocks {
            case,
            counters: Mutex::new(HashMap::new()),
        }
    }

    /// The next invocation of the mocked `state`: its outcome, or the failure of an
    /// invocation the response doesn't cover. None when `state` isn't mocked.
    pub fn invoke(&self, state: &str) -> Option<Result<Value, Failure>> {
        let response = self.case.states.get(state)?;
        let n = {
            let mut c = self.counters.lock().unwrap_or_else(|p| p.into_inner());
            let n = c.entry(state.to_string()).or_insert(0);
            let this = *n;
            *n += 1;
            this
        };
        Some(match response.outcome(n) {
            Some(Outcome::Return(v)) => Ok(v.clone()),
            Some(Outcome::Throw(f)) => Err(f.clone()),
            None => Err(Failure::runtime(format!(
                "The mocked response '{}' of the test case '{}' has no response for invocation {n} of the state '{state}'",
                response.name, self.case.name
            ))),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn aws_example() -> Value {
        json!({
          "StateMachines": {"LambdaSQSIntegration": {"TestCases": {
            "HappyPath": {"LambdaState": "MockedLambdaSuccess", "SQSState": "MockedSQSSuccess"},
            "RetryPath": {"LambdaState": "MockedLambdaRetry", "SQSState": "MockedSQSSuccess"},
            "HybridPath": {"LambdaState": "MockedLambdaSuccess"}}}},
          "MockedResponses": {
            "MockedLambdaSuccess": {"0": {"Return": {"StatusCode": 200, "Payload": {"StatusCode": 200, "body": "Hello from Lambda!"}}}},
            "MockedSQSSuccess": {"0": {"Return": {"MessageId": "m"}}},
            "MockedLambdaRetry": {
              "0": {"Throw": {"Error": "Lambda.ResourceNotReadyException", "Cause": "Lambda resource is not ready."}},
              "1-2": {"Throw": {"Error": "Lambda.TimeoutException", "Cause": "Lambda timed out."}},
              "3": {"Return": {"StatusCode": 200, "Payload": {"StatusCode": 200, "body": "Hello from Lambda!"}}}}}
        })
    }

    #[test]
    fn invocations_take_their_numbered_responses_in_turn() {
        let c = MockConfig::from_value("m.json", &aws_example()).unwrap();
        let m = Mocks::new(c.test_case("LambdaSQSIntegration", "RetryPath").unwrap());
        let errors: Vec<String> = (0..3)
            .map(|_| m.invoke("LambdaState").unwrap().unwrap_err().error.unwrap())
            .collect();
        assert_eq!(
            errors,
            [
                "Lambda.ResourceNotReadyException",
                "Lambda.TimeoutException",
                "Lambda.TimeoutException"
            ]
        );
        assert_eq!(m.invoke("LambdaState").unwrap().unwrap()["StatusCode"], 200);
        let past = m.invoke("LambdaState").unwrap().unwrap_err();
        assert_eq!(past.error_name(), "States.Runtime");
        assert!(past.cause.unwrap().contains("no response for invocation 4"));
        assert!(m.invoke("Other").is_none());
        assert!(c.only_test_case("HybridPath").is_some());
        assert_eq!(c.case_names().len(), 3);
    }

    #[test]
    fn malformed_files_are_refused_with_the_place() {
        let refused = |v: Value| {
            MockConfig::from_value("m.json", &v)
                .unwrap_err()
                .to_string()
        };
        let mut v = aws_example();
        v["MockedResponses"]["MockedSQSSuccess"]["1-x"] = json!({"Return": {}});
        assert!(refused(v).contains(
            "m.json: /MockedResponses/MockedSQSSuccess/1-x: '1-x' is not an invocation number"
        ));
        let mut v = aws_example();
        v["MockedResponses"]["MockedSQSSuccess"]["0-1"] = json!({"Return": {}});
        assert!(refused(v).contains("overlap"));
        let mut v = aws_example();
        v["StateMachines"]["LambdaSQSIntegration"]["TestCases"]["HappyPath"]["SQSState"] =
            json!("Nope");
        assert!(refused(v).contains(
            "/StateMachines/LambdaSQSIntegration/TestCases/HappyPath/SQSState: the mocked response 'Nope' is not in MockedResponses"
        ));
        let mut v = aws_example();
        v["MockedResponses"]["MockedSQSSuccess"]["0"] = json!({"Return": {}, "Throw": {}});
        assert!(refused(v).contains("exactly one of Return or Throw"));
    }
}
