"""TestState through boto3 against `asl serve`: each state type, the inspection
levels, mocks (result and error), Retry and Catch decisions (RETRIABLE and
CAUGHT_ERROR), `stateName` in a whole definition with variables, an HTTP Task's
request and response at TRACE, and invalid definitions refused."""

import json
import subprocess
import sys

import pytest

from conftest import REPO_ROOT
from support import dumps, expect_error

TASK = {
    "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "InputPath": "$.order",
    "Parameters": {"FunctionName": "price", "Payload.$": "$"},
    "ResultSelector": {"total.$": "$.Payload.total"}, "ResultPath": "$.priced",
    "Retry": [{"ErrorEquals": ["Lambda.TooManyRequestsException"], "IntervalSeconds": 2,
               "MaxAttempts": 3, "BackoffRate": 2}],
    "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Recover"}],
    "Next": "Ship",
}
INPUT = dumps({"order": {"id": 7}})


def call(sfn, definition, **kw):
    resp = sfn.test_state(definition=dumps(definition), **kw)
    resp.pop("ResponseMetadata")
    return resp


def test_a_mocked_task_at_every_inspection_level(sfn):
    mock = {"result": dumps({"Payload": {"total": 42}})}
    info = call(sfn, TASK, input=INPUT, mock=mock)
    assert info == {"output": dumps({"order": {"id": 7}, "priced": {"total": 42}}),
                    "nextState": "Ship", "status": "SUCCEEDED"}
    debug = call(sfn, TASK, input=INPUT, mock=mock, inspectionLevel="DEBUG")
    d = debug["inspectionData"]
    assert json.loads(d["input"]) == {"order": {"id": 7}}
    assert json.loads(d["afterInputPath"]) == {"id": 7}
    assert json.loads(d["afterParameters"]) == {"FunctionName": "price", "Payload": {"id": 7}}
    assert json.loads(d["result"]) == {"Payload": {"total": 42}}
    assert json.loads(d["afterResultSelector"]) == {"total": 42}
    assert json.loads(d["afterResultPath"]) == {"order": {"id": 7}, "priced": {"total": 42}}
    assert json.loads(d["variables"]) == {}


def test_retriable_caught_and_failed_errors(sfn):
    error = {"errorOutput": {"error": "Lambda.TooManyRequestsException", "cause": "slow down"}}
    r = call(sfn, TASK, input=INPUT, mock=error, inspectionLevel="DEBUG",
             stateConfiguration={"retrierRetryCount": 1})
    assert r["status"] == "RETRIABLE"
    assert (r["error"], r["cause"]) == ("Lambda.TooManyRequestsException", "slow down")
    # IntervalSeconds 2 × BackoffRate 2 ^ 1 retry so far.
    assert r["inspectionData"]["errorDetails"] == {"retryIndex": 0, "retryBackoffIntervalSeconds": 4}
    # Out of attempts: the Catcher takes it.
    r = call(sfn, TASK, input=INPUT, mock=error, inspectionLevel="DEBUG",
             stateConfiguration={"retrierRetryCount": 3})
    assert r["status"] == "CAUGHT_ERROR"
    assert r["nextState"] == "Recover"
    assert json.loads(r["output"])["error"] == {"Error": "Lambda.TooManyRequestsException",
                                                "Cause": "slow down"}
    assert r["inspectionData"]["errorDetails"] == {"catchIndex": 0}
    # Without a Catch the state fails.
    bare = {k: v for k, v in TASK.items() if k != "Catch"}
    r = call(sfn, bare, input=INPUT, mock={"errorOutput": {"error": "Boom", "cause": "bad"}})
    assert (r["status"], r["error"], r["cause"]) == ("FAILED", "Boom", "bad")


def test_every_other_state_type(sfn):
    r = call(sfn, {"Type": "Pass", "Parameters": {"sum.$": "States.MathAdd($.a, $.b)"},
                   "ResultPath": "$.out", "Next": "After"},
             input=dumps({"a": 1, "b": 2}), inspectionLevel="DEBUG")
    assert json.loads(r["output"]) == {"a": 1, "b": 2, "out": {"sum": 3}}
    assert json.loads(r["inspectionData"]["afterParameters"]) == {"sum": 3}
    assert r["nextState"] == "After"
    choice = {"Type": "Choice", "Default": "Small", "Choices": [
        {"Variable": "$.n", "NumericGreaterThan": 10, "Next": "Big"}]}
    assert call(sfn, choice, input=dumps({"n": 11}))["nextState"] == "Big"
    assert call(sfn, choice, input=dumps({"n": 1}))["nextState"] == "Small"
    # A Wait does not wait.
    r = call(sfn, {"Type": "Wait", "Seconds": 3600, "Next": "Later"}, input=dumps({"x": 1}))
    assert (r["status"], r["nextState"], json.loads(r["output"])) == ("SUCCEEDED", "Later", {"x": 1})
    r = call(sfn, {"Type": "Succeed"}, input=dumps({"done": True}))
    assert r == {"output": dumps({"done": True}), "status": "SUCCEEDED"}
    r = call(sfn, {"Type": "Fail", "Error": "Nope", "Cause": "no"})
    assert (r["status"], r["error"], r["cause"]) == ("FAILED", "Nope", "no")
    # JSONata: Arguments and Output, with variables in scope and assigned.
    r = call(sfn, {"Type": "Task", "QueryLanguage": "JSONata",
                   "Resource": "arn:aws:states:::lambda:invoke",
                   "Arguments": {"FunctionName": "f", "Payload": {"n": "{% $states.input.n * $k %}"}},
                   "Assign": {"last": "{% $states.result.Payload %}"},
                   "Output": "{% $states.result.Payload %}", "End": True},
             input=dumps({"n": 3}), variables=dumps({"k": 10}),
             mock={"result": dumps({"Payload": 30})}, inspectionLevel="TRACE")
    assert json.loads(r["output"]) == 30
    assert json.loads(r["inspectionData"]["afterArguments"]) == {"FunctionName": "f", "Payload": {"n": 30}}
    assert json.loads(r["inspectionData"]["variables"]) == {"k": 10, "last": 30}


def test_a_state_of_a_whole_definition(sfn):
    machine = {"StartAt": "A", "States": {
        "A": {"Type": "Pass", "Next": "B"},
        "B": {"Type": "Pass", "Result": {"from": "B"}, "ResultPath": "$.b", "End": True}}}
    r = call(sfn, machine, stateName="B", input=dumps({"x": 1}))
    assert json.loads(r["output"]) == {"x": 1, "b": {"from": "B"}}
    assert "nextState" not in r
    # A state inside a Map's processor: its Next is in that scope.
    nested = {"StartAt": "Each", "States": {"Each": {
        "Type": "Map", "End": True, "ItemProcessor": {"StartAt": "Inner", "States": {
            "Inner": {"Type": "Pass", "Parameters": {"twice.$": "States.MathAdd($.v, $.v)"},
                      "Next": "Last"},
            "Last": {"Type": "Succeed"}}}}}}
    r = call(sfn, nested, stateName="Inner", input=dumps({"v": 4}))
    assert (json.loads(r["output"]), r["nextState"]) == ({"twice": 8}, "Last")
    expect_error("InvalidDefinition", sfn.test_state, definition=dumps(nested),
                 stateName="Nowhere")


def test_invalid_requests_are_refused(sfn):
    expect_error("InvalidDefinition", sfn.test_state, definition=dumps({"Type": "Bogus"}))
    expect_error("InvalidDefinition", sfn.test_state, definition="{not json")
    expect_error("InvalidExecutionInput", sfn.test_state,
                 definition=dumps({"Type": "Pass", "End": True}), input="{oops")
    expect_error("ValidationException", sfn.test_state,
                 definition=dumps({"Type": "Pass", "End": True}), inspectionLevel="LOUD")


@pytest.fixture
def static_http():
    """Python's own file server on the repository's datasets/."""
    p = subprocess.Popen([sys.executable, "-u", "-m", "http.server", "0", "--bind", "127.0.0.1",
                          "--directory", str(REPO_ROOT / "datasets")],
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    line = p.stdout.readline()
    port = line.split(" port ")[1].split()[0]
    yield f"http://127.0.0.1:{port}"
    p.kill()
    p.wait()


def test_an_http_task_shows_its_request_and_response_at_trace(sfn, static_http):
    task = {"Type": "Task", "Resource": "arn:aws:states:::http:invoke", "End": True,
            "Parameters": {"ApiEndpoint": f"{static_http}/orders/input.json", "Method": "GET",
                           "Authentication": {"ConnectionArn":
                               "arn:aws:events:us-east-1:123456789012:connection/Orders/1"},
                           "QueryParameters": {"view": "full"}},
            "ResultSelector": {"id.$": "$.ResponseBody.detail.orderId", "status.$": "$.StatusCode"}}
    r = call(sfn, task, inspectionLevel="TRACE")
    assert r["status"] == "SUCCEEDED", r
    assert json.loads(r["output"]) == {"id": "ord-20190218-0001", "status": 200}
    req, resp = r["inspectionData"]["request"], r["inspectionData"]["response"]
    assert (req["method"], req["url"]) == ("GET", f"{static_http}/orders/input.json?view=full")
    assert json.loads(req["headers"])["Range"] == "bytes=0-262144"
    assert resp["statusCode"] == "200" and resp["statusMessage"] == "OK"
    assert json.loads(resp["body"])["detail"]["orderId"] == "ord-20190218-0001"
    # DEBUG leaves them out.
    assert "request" not in call(sfn, task, inspectionLevel="DEBUG")["inspectionData"]


def test_map_and_parallel_states(sfn):
    m = {"Type": "Map", "ItemsPath": "$.xs", "MaxConcurrency": 2, "ToleratedFailureCount": 1,
         "ItemSelector": {"v.$": "$$.Map.Item.Value"},
         "ItemProcessor": {"StartAt": "D", "States": {"D": {
             "Type": "Pass", "Parameters": {"d.$": "States.MathAdd($.v, $.v)"}, "End": True}}},
         "ResultPath": "$.out", "Next": "After"}
    r = call(sfn, m, input=dumps({"xs": [1, 2, 3]}), inspectionLevel="DEBUG")
    assert r["status"] == "SUCCEEDED" and r["nextState"] == "After"
    assert json.loads(r["output"])["out"] == [{"d": 2}, {"d": 4}, {"d": 6}]
    d = r["inspectionData"]
    assert json.loads(d["afterItemsPath"]) == [1, 2, 3]
    assert json.loads(d["afterItemSelector"]) == [{"v": 1}, {"v": 2}, {"v": 3}]
    assert (d["maxConcurrency"], d["toleratedFailureCount"]) == (2, 1)
    assert json.loads(d["result"]) == [{"d": 2}, {"d": 4}, {"d": 6}]
    # Mocked: the mock is the Map's result; its processor does not run.
    r = call(sfn, m, input=dumps({"xs": [1]}), mock={"result": "[42]"})
    assert json.loads(r["output"])["out"] == [42]
    p = {"Type": "Parallel", "End": True, "Branches": [
        {"StartAt": "A", "States": {"A": {"Type": "Pass", "Result": 1, "End": True}}},
        {"StartAt": "B", "States": {"B": {"Type": "Pass", "Result": 2, "End": True}}}],
         "Catch": [{"ErrorEquals": ["States.BranchFailed"], "Next": "Handle"}]}
    assert json.loads(call(sfn, p)["output"]) == [1, 2]
    r = call(sfn, p, mock={"errorOutput": {"error": "States.BranchFailed", "cause": "b"}})
    assert (r["status"], r["nextState"]) == ("CAUGHT_ERROR", "Handle")


def test_the_context_object_given(sfn):
    r = call(sfn, {"Type": "Pass", "End": True, "Parameters": {
        "id.$": "$$.Execution.Id", "token.$": "$$.Task.Token", "state.$": "$$.State.Name"}},
        context=dumps({"Execution": {"Id": "arn:aws:states:us-east-1:123456789012:execution:m:e1"},
                       "Task": {"Token": "tok-1"}}))
    assert json.loads(r["output"]) == {"id": "arn:aws:states:us-east-1:123456789012:execution:m:e1",
                                       "token": "tok-1", "state": "TestState"}
    expect_error("ValidationException", sfn.test_state,
                 definition=dumps({"Type": "Pass", "End": True}), context="[1]")


def test_mock_results_are_checked_against_the_api_response(sfn):
    sqs = {"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage", "End": True,
           "Parameters": {"QueueUrl": "q", "MessageBody": "m"}}
    ok = call(sfn, sqs, mock={"result": dumps({"MessageId": "m-1", "MD5OfMessageBody": "x"})})
    assert ok["status"] == "SUCCEEDED"
    # STRICT (the default): a field the API doesn't answer, or a required one missing.
    expect_error("ValidationException", sfn.test_state, definition=dumps(sqs),
                 mock={"result": dumps({"MessageId": "m", "Mesage": "typo"})})
    expect_error("ValidationException", sfn.test_state, definition=dumps(sqs),
                 mock={"result": dumps({"MD5OfMessageBody": "x"})})
    # PRESENT: only what is there is checked; NONE: nothing is.
    r = call(sfn, sqs, mock={"result": dumps({"MD5OfMessageBody": "x"}),
                             "fieldValidationMode": "PRESENT"})
    assert r["status"] == "SUCCEEDED"
    expect_error("ValidationException", sfn.test_state, definition=dumps(sqs),
                 mock={"result": dumps({"MessageId": 7}), "fieldValidationMode": "PRESENT"})
    r = call(sfn, sqs, mock={"result": dumps({"anything": 1}), "fieldValidationMode": "NONE"})
    assert json.loads(r["output"]) == {"anything": 1}


def test_map_iteration_failures_and_the_state_an_error_comes_from(sfn):
    m = {"Type": "Map", "ItemsPath": "$.xs", "ToleratedFailureCount": 1, "End": True,
         "ItemProcessor": {"StartAt": "Work", "States": {"Work": {
             "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
             "Parameters": {"FunctionName": "f"}, "End": True}}}}
    xs = dumps({"xs": [1, 2, 3]})
    r = call(sfn, m, input=xs, mock={"result": "[1, 2, 3]"}, inspectionLevel="DEBUG",
             stateConfiguration={"mapIterationFailureCount": 1})
    assert (r["status"], json.loads(r["output"])) == ("SUCCEEDED", [1, 2, 3])
    assert r["inspectionData"]["maxConcurrency"] == 0
    r = call(sfn, m, input=xs, mock={"result": "[1, 2, 3]"},
             stateConfiguration={"mapIterationFailureCount": 2})
    assert (r["status"], r["error"]) == ("FAILED", "States.ExceedToleratedFailureThreshold")
    # The error of a state inside the Map.
    r = call(sfn, m, input=xs, mock={"errorOutput": {"error": "MockException", "cause": "c"}},
             stateConfiguration={"errorCausedByState": "Work", "mapIterationFailureCount": 0})
    assert (r["status"], r["error"]) == ("FAILED", "MockException")
    expect_error("ValidationException", sfn.test_state, definition=dumps(m), input=xs,
                 mock={"errorOutput": {"error": "E"}},
                 stateConfiguration={"errorCausedByState": "NoSuchState"})
    expect_error("ValidationException", sfn.test_state,
                 definition=dumps({"Type": "Pass", "End": True}),
                 stateConfiguration={"mapIterationFailureCount": 1})


def test_a_distributed_map_on_the_data_its_reader_would_read(sfn):
    m = {"Type": "Map", "ToleratedFailurePercentage": 50, "End": True,
         "ItemReader": {"Resource": "arn:aws:states:::s3:getObject",
                        "ReaderConfig": {"InputType": "JSON"},
                        "Parameters": {"Bucket": "b", "Key": "items.json"}},
         "ItemSelector": {"n.$": "$$.Map.Item.Value"},
         "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "EXPRESS"},
                           "StartAt": "W", "States": {"W": {"Type": "Pass", "End": True}}}}
    m["ItemBatcher"] = {"MaxItemsPerBatch": 2, "BatchInput": {"run": "r1"}}
    data = {"mapItemReaderData": dumps([1, 2, 3])}
    r = call(sfn, m, mock={"result": "[1, 2, 3]"}, inspectionLevel="DEBUG",
             stateConfiguration={**data, "mapIterationFailureCount": 1})
    assert r["status"] == "SUCCEEDED", r
    assert json.loads(r["inspectionData"]["afterItemSelector"]) == [{"n": 1}, {"n": 2}, {"n": 3}]
    assert json.loads(r["inspectionData"]["afterItemBatcher"]) == [
        {"BatchInput": {"run": "r1"}, "Items": [{"n": 1}, {"n": 2}]},
        {"BatchInput": {"run": "r1"}, "Items": [{"n": 3}]}]
    # Two of three items failed: over 50%.
    r = call(sfn, m, mock={"result": "[]"},
             stateConfiguration={**data, "mapIterationFailureCount": 2})
    assert (r["status"], r["error"]) == ("FAILED", "States.ExceedToleratedFailureThreshold")
    expect_error("ValidationException", sfn.test_state,
                 definition=dumps({"Type": "Pass", "End": True}),
                 stateConfiguration={"mapItemReaderData": "[1]"})
    # The data as the source holds it, read by the Map's reader: a CSV with its header.
    m["ItemReader"]["ReaderConfig"] = {"InputType": "CSV", "CSVHeaderLocation": "FIRST_ROW"}
    del m["ItemBatcher"]
    r = call(sfn, m, mock={"result": "[]"}, inspectionLevel="DEBUG",
             stateConfiguration={"mapItemReaderData": "id,name\n1,ann\n2,bob\n"})
    assert json.loads(r["inspectionData"]["afterItemSelector"]) == [
        {"n": {"id": "1", "name": "ann"}}, {"n": {"id": "2", "name": "bob"}}]
    m["ItemReader"]["ReaderConfig"] = {"InputType": "JSON", "ItemsPointer": "/rows"}
    r = call(sfn, m, mock={"result": "[]"}, inspectionLevel="DEBUG",
             stateConfiguration={"mapItemReaderData": dumps({"rows": [7, 8]})})
    assert json.loads(r["inspectionData"]["afterItemsPointer"]) == [7, 8]


def test_tasks_that_wait_for_an_answer_run_only_mocked(sfn):
    callback = {"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
                "Parameters": {"QueueUrl": "q", "MessageBody": {"t.$": "$$.Task.Token"}},
                "End": True}
    expect_error("ValidationException", sfn.test_state, definition=dumps(callback))
    r = call(sfn, callback, mock={"result": dumps({"approved": True})})
    assert json.loads(r["output"]) == {"approved": True}
    in_map = {"Type": "Map", "End": True, "ItemProcessor": {"StartAt": "Child", "States": {
        "Child": {"Type": "Task", "Resource": "arn:aws:states:::states:startExecution.sync:2",
                  "Parameters": {"StateMachineArn": "arn:aws:states:us-east-1:123456789012:stateMachine:c"},
                  "End": True}}}}
    expect_error("ValidationException", sfn.test_state, definition=dumps(in_map), input="[1]")
