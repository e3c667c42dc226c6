"""Helpers shared by the real-client tests (constants, definitions, polling)."""

import json
import time
import uuid

import pytest
from botocore.exceptions import ClientError

REGION = "us-east-1"
ACCOUNT = "123456789012"
ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/DummyRole"
SM_PREFIX = f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:"
EXEC_PREFIX = f"arn:aws:states:{REGION}:{ACCOUNT}:execution:"
EXPRESS_PREFIX = f"arn:aws:states:{REGION}:{ACCOUNT}:express:"
POLL_TIMEOUT_S = 30


def unique(prefix):
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def sm_arn(name):
    return SM_PREFIX + name


def exec_arn(sm_name, exec_name):
    return f"{EXEC_PREFIX}{sm_name}:{exec_name}"


def dumps(obj):
    return json.dumps(obj, separators=(",", ":"))


# Choice routes on $.n: > 10 adds "size": "big"; otherwise builds {"size": "small", "n": n}.
CHOICE_DEF = dumps({
    "Comment": "Pass/Choice workflow",
    "StartAt": "Route",
    "States": {
        "Route": {
            "Type": "Choice",
            "Choices": [{"Variable": "$.n", "NumericGreaterThan": 10, "Next": "Big"}],
            "Default": "Small",
        },
        "Big": {"Type": "Pass", "Result": "big", "ResultPath": "$.size", "End": True},
        "Small": {"Type": "Pass", "Parameters": {"size": "small", "n.$": "$.n"}, "End": True},
    },
})

# A single Pass state: history is exactly Started, PassStateEntered/Exited, Succeeded.
PASS_DEF = dumps({
    "StartAt": "P",
    "States": {"P": {"Type": "Pass", "Result": {"ok": True}, "ResultPath": "$.r", "End": True}},
})

FAIL_DEF = dumps({
    "StartAt": "Boom",
    "States": {"Boom": {"Type": "Fail", "Error": "Oops", "Cause": "bad"}},
})

# Succeeds unless the input has "fail": true.
MAYBE_FAIL_DEF = dumps({
    "StartAt": "Check",
    "States": {
        "Check": {
            "Type": "Choice",
            "Choices": [{"Variable": "$.fail", "BooleanEquals": True, "Next": "Boom"}],
            "Default": "Done",
        },
        "Boom": {"Type": "Fail", "Error": "Oops", "Cause": "bad"},
        "Done": {"Type": "Succeed"},
    },
})

LONG_WAIT_DEF = dumps({
    "StartAt": "Sleep",
    "States": {"Sleep": {"Type": "Wait", "Seconds": 3600, "End": True}},
})

# StartAt names a state that does not exist.
INVALID_DEF = dumps({"StartAt": "Missing", "States": {"A": {"Type": "Pass", "End": True}}})


def create_machine(sfn, definition, prefix="sm", type="STANDARD", name=None):
    name = name or unique(prefix)
    resp = sfn.create_state_machine(
        name=name, definition=definition, roleArn=ROLE_ARN, type=type
    )
    assert resp["stateMachineArn"] == sm_arn(name)
    return name, resp["stateMachineArn"]


def error_code(excinfo):
    return excinfo.value.response["Error"]["Code"]


def expect_error(code, fn, *args, **kwargs):
    """Call fn and assert it fails with the AWS error code `code`."""
    with pytest.raises(ClientError) as excinfo:
        fn(*args, **kwargs)
    assert error_code(excinfo) == code, excinfo.value.response
    return excinfo.value.response


def wait_until_done(sfn, execution_arn, timeout=POLL_TIMEOUT_S):
    """Poll describe_execution until the status is no longer RUNNING."""
    deadline = time.monotonic() + timeout
    delay = 0.02
    while True:
        desc = sfn.describe_execution(executionArn=execution_arn)
        if desc["status"] != "RUNNING":
            return desc
        if time.monotonic() > deadline:
            pytest.fail(f"{execution_arn} still RUNNING after {timeout}s: {desc}")
        time.sleep(delay)
        delay = min(delay * 2, 0.5)


def run_to_end(sfn, state_machine_arn, input_obj, name=None):
    kwargs = {"stateMachineArn": state_machine_arn, "input": dumps(input_obj)}
    if name:
        kwargs["name"] = name
    arn = sfn.start_execution(**kwargs)["executionArn"]
    return wait_until_done(sfn, arn)


def full_history(sfn, execution_arn, **kwargs):
    events, token = [], None
    while True:
        page = sfn.get_execution_history(
            executionArn=execution_arn, **kwargs, **({"nextToken": token} if token else {})
        )
        events.extend(page["events"])
        token = page.get("nextToken")
        if not token:
            return events


def strip_meta(resp):
    return {k: v for k, v in resp.items() if k != "ResponseMetadata"}
