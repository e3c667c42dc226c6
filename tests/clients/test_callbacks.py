"""Callbacks (.waitForTaskToken) driven by boto3 and the aws CLI against `asl serve`:
a person (or a script) reads the token from the history and approves or rejects."""

import json
import time

from support import POLL_TIMEOUT_S, create_machine, dumps, expect_error, wait_until_done
from test_cli import aws  # noqa: F401  (the aws CLI fixture)
from test_cli import wait_done as cli_wait_done

APPROVAL_DEF = dumps({
    "StartAt": "Ask",
    "States": {
        "Ask": {
            "Type": "Task",
            "Resource": "arn:aws:states:::sns:publish.waitForTaskToken",
            "Parameters": {"TopicArn": "arn:aws:sns:us-east-1:123456789012:approvals",
                           "Message": {"token.$": "$$.Task.Token", "order.$": "$"}},
            "ResultPath": "$.decision",
            "Catch": [{"ErrorEquals": ["Rejected"], "ResultPath": "$.why", "Next": "Rejected"}],
            "Next": "Approved",
        },
        "Approved": {"Type": "Pass", "End": True},
        "Rejected": {"Type": "Pass", "Result": "rejected", "ResultPath": "$.outcome", "End": True},
    },
})


def token_of(history_events):
    for e in history_events:
        if e["type"] == "TaskScheduled":
            params = json.loads(e["taskScheduledEventDetails"]["parameters"])
            return params["Message"]["token"]
    return None


def wait_token(get_history, timeout=POLL_TIMEOUT_S):
    deadline = time.monotonic() + timeout
    while True:
        token = token_of(get_history())
        if token:
            return token
        assert time.monotonic() < deadline, "no token handed out"
        time.sleep(0.05)


def test_approval_accepted_and_rejected_with_boto3(sfn):
    _, arn = create_machine(sfn, APPROVAL_DEF, prefix="approval")
    xarn = sfn.start_execution(stateMachineArn=arn, input=dumps({"amount": 900}))["executionArn"]
    token = wait_token(lambda: sfn.get_execution_history(executionArn=xarn)["events"])
    sfn.send_task_heartbeat(taskToken=token)
    sfn.send_task_success(taskToken=token, output=dumps({"approved": True}))
    desc = wait_until_done(sfn, xarn)
    assert desc["status"] == "SUCCEEDED", desc
    assert json.loads(desc["output"]) == {"amount": 900, "decision": {"approved": True}}
    # The task has ended: its token is refused; a malformed one is invalid.
    expect_error("TaskTimedOut", sfn.send_task_success, taskToken=token, output="{}")
    expect_error("InvalidToken", sfn.send_task_failure, taskToken="nonsense")

    xarn = sfn.start_execution(stateMachineArn=arn, input=dumps({"amount": 5000}))["executionArn"]
    token = wait_token(lambda: sfn.get_execution_history(executionArn=xarn)["events"])
    sfn.send_task_failure(taskToken=token, error="Rejected", cause="over the limit")
    desc = wait_until_done(sfn, xarn)
    assert desc["status"] == "SUCCEEDED", desc
    out = json.loads(desc["output"])
    assert out["outcome"] == "rejected"
    assert out["why"] == {"Error": "Rejected", "Cause": "over the limit"}


def test_approval_answered_with_the_aws_cli(sfn, aws):  # noqa: F811
    _, arn = create_machine(sfn, APPROVAL_DEF, prefix="approval-cli")
    xarn = aws("start-execution", "--state-machine-arn", arn,
               "--input", dumps({"amount": 1200}))["executionArn"]
    token = wait_token(
        lambda: aws("get-execution-history", "--execution-arn", xarn)["events"])
    aws("send-task-success", "--task-token", token, "--task-output", dumps({"approved": "yes"}))
    desc = cli_wait_done(aws, xarn)
    assert desc["status"] == "SUCCEEDED", desc
    assert json.loads(desc["output"])["decision"] == {"approved": "yes"}
    proc = aws("send-task-failure", "--task-token", token, "--error", "Rejected", check=False)
    assert proc.returncode != 0
    assert "TaskTimedOut" in proc.stderr, proc.stderr
