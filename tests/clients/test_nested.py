"""Nested workflows with boto3 against `asl serve`: `states:startExecution` in its four
forms with outputs and failures in AWS's shapes, StopExecution of a parent stopping
its `.sync` child, and a restart while a callback, an activity task and a child are
pending (all complete afterwards)."""

import json
import time

from support import POLL_TIMEOUT_S, create_machine, dumps, unique, wait_until_done
from test_callbacks import APPROVAL_DEF, wait_token

DOUBLE = dumps({"StartAt": "D", "States": {"D": {
    "Type": "Pass", "Parameters": {"doubled.$": "States.MathAdd($.n, $.n)"}, "End": True}}})
BOOM = dumps({"StartAt": "F", "States": {"F": {
    "Type": "Fail", "Error": "Boom", "Cause": "bad input"}}})
# Answers its parent's token with the sfn SDK integration.
ANSWERER = dumps({"StartAt": "Answer", "States": {"Answer": {
    "Type": "Task", "Resource": "arn:aws:states:::aws-sdk:sfn:sendTaskSuccess",
    "Parameters": {"TaskToken.$": "$.token",
                   "Output.$": "States.JsonToString(States.MathAdd($.n, 1))"},
    "End": True}}})


def parent(resource, child_arn):
    child_input = {"n.$": "$.n",
                   "AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID.$": "$$.Execution.Id"}
    if resource.endswith(".waitForTaskToken"):
        # The token exists only for the callback pattern.
        child_input["token.$"] = "$$.Task.Token"
    return dumps({"StartAt": "Call", "States": {"Call": {
        "Type": "Task", "Resource": resource,
        "Parameters": {"StateMachineArn": child_arn, "Input": child_input},
        "End": True}}})


def run(sfn, machine_arn, input_obj):
    xarn = sfn.start_execution(stateMachineArn=machine_arn, input=dumps(input_obj))["executionArn"]
    return xarn, wait_until_done(sfn, xarn)


def first_execution(sfn, machine_arn, timeout=POLL_TIMEOUT_S):
    deadline = time.monotonic() + timeout
    while True:
        executions = sfn.list_executions(stateMachineArn=machine_arn)["executions"]
        if executions:
            return executions[0]["executionArn"]
        assert time.monotonic() < deadline, f"no execution of {machine_arn}"
        time.sleep(0.05)


def test_the_four_forms_of_start_execution_with_boto3(sfn):
    _, double = create_machine(sfn, DOUBLE, prefix="double")
    _, boom = create_machine(sfn, BOOM, prefix="boom")
    _, answerer = create_machine(sfn, ANSWERER, prefix="answerer")

    # .sync:2: DescribeExecution's fields, Input and Output as JSON.
    _, p = create_machine(sfn, parent("arn:aws:states:::states:startExecution.sync:2", double))
    xarn, d = run(sfn, p, {"n": 21})
    assert d["status"] == "SUCCEEDED", d
    out = json.loads(d["output"])
    assert out["Output"] == {"doubled": 42}
    assert out["Status"] == "SUCCEEDED"
    assert out["StateMachineArn"] == double
    assert out["Input"]["AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID"] == xarn
    child = sfn.describe_execution(executionArn=out["ExecutionArn"])
    assert child["status"] == "SUCCEEDED" and child["stateMachineArn"] == double
    assert json.loads(child["output"]) == {"doubled": 42}

    # .sync: Output as JSON text.
    _, p = create_machine(sfn, parent("arn:aws:states:::states:startExecution.sync", double))
    _, d = run(sfn, p, {"n": 2})
    out = json.loads(d["output"])
    assert out["Output"] == '{"doubled":4}'
    assert json.loads(out["Input"])["n"] == 2

    # Request-response (fire and forget): the child's ARN and start date.
    _, p = create_machine(sfn, parent("arn:aws:states:::states:startExecution", double))
    _, d = run(sfn, p, {"n": 1})
    out = json.loads(d["output"])
    assert set(out) == {"ExecutionArn", "StartDate"}
    assert ":execution:" in out["ExecutionArn"]
    assert wait_until_done(sfn, out["ExecutionArn"])["status"] == "SUCCEEDED"

    # .waitForTaskToken: the child answers its parent's token.
    _, p = create_machine(sfn, parent("arn:aws:states:::states:startExecution.waitForTaskToken",
                                      answerer))
    _, d = run(sfn, p, {"n": 41})
    assert d["status"] == "SUCCEEDED", d
    assert json.loads(d["output"]) == 42

    # A failing child fails the parent: States.TaskFailed, its description as the cause.
    _, p = create_machine(sfn, parent("arn:aws:states:::states:startExecution.sync:2", boom))
    _, d = run(sfn, p, {"n": 0})
    assert d["status"] == "FAILED"
    assert d["error"] == "States.TaskFailed"
    cause = json.loads(d["cause"])
    assert (cause["Status"], cause["Error"], cause["Cause"]) == ("FAILED", "Boom", "bad input")


def test_stopping_a_parent_stops_its_sync_child(sfn):
    _, sleepy = create_machine(sfn, dumps({"StartAt": "W", "States": {"W": {
        "Type": "Wait", "Seconds": 3600, "End": True}}}), prefix="sleepy")
    _, p = create_machine(sfn, parent("arn:aws:states:::states:startExecution.sync:2", sleepy))
    xarn = sfn.start_execution(stateMachineArn=p, input=dumps({"n": 1}))["executionArn"]
    child = first_execution(sfn, sleepy)
    sfn.stop_execution(executionArn=xarn, error="Enough", cause="stop the tree")
    assert wait_until_done(sfn, xarn)["status"] == "ABORTED"
    assert wait_until_done(sfn, child)["status"] == "ABORTED"


def test_a_restart_keeps_callbacks_activity_tasks_and_children_waiting(make_server):
    srv = make_server()
    sfn = srv.client()
    _, approval = create_machine(sfn, APPROVAL_DEF, prefix="approval")
    activity = sfn.create_activity(name=unique("review"))["activityArn"]
    _, worked = create_machine(sfn, dumps({"StartAt": "Work", "States": {"Work": {
        "Type": "Task", "Resource": activity, "End": True}}}), prefix="worked")
    # The child waits for a callback of its own: it is pending across the restart.
    _, child_machine = create_machine(sfn, APPROVAL_DEF, prefix="child")
    _, p = create_machine(sfn, parent("arn:aws:states:::states:startExecution.sync:2",
                                      child_machine))

    a = sfn.start_execution(stateMachineArn=approval, input=dumps({"amount": 2000}))["executionArn"]
    w = sfn.start_execution(stateMachineArn=worked, input=dumps({"doc": 7}))["executionArn"]
    n = sfn.start_execution(stateMachineArn=p, input=dumps({"n": 5}))["executionArn"]
    token = wait_token(lambda: sfn.get_execution_history(executionArn=a)["events"])
    child = first_execution(sfn, child_machine)
    child_token = wait_token(lambda: sfn.get_execution_history(executionArn=child)["events"])

    srv.restart()
    sfn = srv.client()
    for xarn in (a, w, n, child):
        assert sfn.describe_execution(executionArn=xarn)["status"] == "RUNNING"
    sfn.send_task_success(taskToken=token, output=dumps({"approved": True}))
    task = sfn.get_activity_task(activityArn=activity, workerName="after-restart")
    assert json.loads(task["input"]) == {"doc": 7}
    sfn.send_task_success(taskToken=task["taskToken"], output=dumps({"reviewed": 7}))
    sfn.send_task_success(taskToken=child_token, output=dumps({"child": "ok"}))

    d = wait_until_done(sfn, a)
    assert d["status"] == "SUCCEEDED", d
    assert json.loads(d["output"])["decision"] == {"approved": True}
    d = wait_until_done(sfn, w)
    assert d["status"] == "SUCCEEDED", d
    assert json.loads(d["output"]) == {"reviewed": 7}
    d = wait_until_done(sfn, n)
    assert d["status"] == "SUCCEEDED", d
    out = json.loads(d["output"])
    assert out["ExecutionArn"] == child
    assert out["Output"]["decision"] == {"child": "ok"}
