"""Mocked service integrations with boto3 against `asl serve --mock-config`: the
examples of Step Functions Local's documentation (the LambdaSQSIntegration machine and
its HappyPath, RetryPath and HybridPath test cases, started on
`stateMachineArn#TestCase`), with the histories that documentation shows."""

import json

from conftest import REPO_ROOT
from support import dumps, expect_error, full_history, wait_until_done

MOCKS = REPO_ROOT / "datasets/mocks"


def start_case(sfn, machine_arn, case, input_obj):
    xarn = sfn.start_execution(stateMachineArn=f"{machine_arn}#{case}",
                               input=dumps(input_obj))["executionArn"]
    return xarn, wait_until_done(sfn, xarn)


def types(sfn, xarn):
    return [e["type"] for e in full_history(sfn, xarn)]


def test_the_documented_test_cases_with_boto3(make_server):
    srv = make_server(extra_args=["--mock-config", str(MOCKS / "MockConfigFile.json"),
                                  "--resources", str(MOCKS / "resources.json")])
    sfn = srv.client()
    arn = sfn.create_state_machine(
        name="LambdaSQSIntegration", roleArn="arn:aws:iam::123456789012:role/DummyRole",
        definition=(MOCKS / "LambdaSQSIntegration.asl.json").read_text(),
    )["stateMachineArn"]
    sqs_mock = {"MD5OfMessageBody": "3bcb6e8e-7h85-4375-b0bc-1a59812c6e51",
                "MessageId": "3bcb6e8e-8b51-4375-b0bc-1a59812c6e51"}

    xarn, d = start_case(sfn, arn, "HappyPath", {"name": "Ada"})
    assert d["status"] == "SUCCEEDED", d
    assert d["stateMachineArn"] == arn
    assert json.loads(d["output"]) == sqs_mock
    events = full_history(sfn, xarn)
    lambda_done = [e for e in events if e["type"] == "TaskSucceeded"][0]
    assert json.loads(lambda_done["taskSucceededEventDetails"]["output"]) == {
        "StatusCode": 200, "Payload": {"StatusCode": 200, "body": "Hello from Lambda!"}}
    assert lambda_done["taskSucceededEventDetails"]["resourceType"] == "lambda"

    # RetryPath: three mocked failures (0, then 1-2), each retried, then the success
    # (the definition's Retry waits 2, 4 and 8 seconds: this case takes 14 s).
    xarn, d = start_case(sfn, arn, "RetryPath", {"name": "Ada"})
    assert d["status"] == "SUCCEEDED", d
    assert types(sfn, xarn) == [
        "ExecutionStarted", "TaskStateEntered",
        "TaskScheduled", "TaskStarted", "TaskFailed",
        "TaskScheduled", "TaskStarted", "TaskFailed",
        "TaskScheduled", "TaskStarted", "TaskFailed",
        "TaskScheduled", "TaskStarted", "TaskSucceeded", "TaskStateExited",
        "TaskStateEntered", "TaskScheduled", "TaskStarted", "TaskSucceeded", "TaskStateExited",
        "ExecutionSucceeded"]
    failed = [e["taskFailedEventDetails"]["error"] for e in full_history(sfn, xarn)
              if e["type"] == "TaskFailed"]
    assert failed == ["Lambda.ResourceNotReadyException", "Lambda.TimeoutException",
                      "Lambda.TimeoutException"]

    # HybridPath: the SQS state is not mocked and runs its real resource (here the
    # resources file's command).
    _, d = start_case(sfn, arn, "HybridPath", {"name": "Ada"})
    assert d["status"] == "SUCCEEDED", d
    assert json.loads(d["output"])["MessageId"] == "local-1"

    # A test case the file doesn't have is refused.
    expect_error("ValidationException", sfn.start_execution,
                 stateMachineArn=f"{arn}#NoSuchCase", input="{}")
