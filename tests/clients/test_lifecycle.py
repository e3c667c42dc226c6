"""boto3 against `asl serve`: state machines, executions, history, tags, restart."""

import datetime
import json
import time

from botocore.exceptions import ClientError

from support import (
    CHOICE_DEF,
    EXPRESS_PREFIX,
    FAIL_DEF,
    INVALID_DEF,
    LONG_WAIT_DEF,
    MAYBE_FAIL_DEF,
    PASS_DEF,
    ROLE_ARN,
    create_machine,
    dumps,
    exec_arn,
    expect_error,
    full_history,
    run_to_end,
    sm_arn,
    strip_meta,
    unique,
    wait_until_done,
)


def all_state_machines(sfn):
    out = []
    for page in sfn.get_paginator("list_state_machines").paginate():
        out.extend(page["stateMachines"])
    return out


# a. create / describe / update / list / delete
def test_state_machine_lifecycle(sfn):
    name, arn = create_machine(sfn, CHOICE_DEF, "life")

    desc = sfn.describe_state_machine(stateMachineArn=arn)
    assert desc["stateMachineArn"] == arn
    assert desc["name"] == name
    assert desc["status"] == "ACTIVE"
    assert desc["definition"] == CHOICE_DEF
    assert desc["type"] == "STANDARD"
    assert desc["roleArn"] == ROLE_ARN
    assert isinstance(desc["creationDate"], datetime.datetime)

    upd = sfn.update_state_machine(stateMachineArn=arn, definition=PASS_DEF)
    assert isinstance(upd["updateDate"], datetime.datetime)
    desc2 = sfn.describe_state_machine(stateMachineArn=arn)
    assert desc2["definition"] == PASS_DEF
    assert desc2["roleArn"] == ROLE_ARN
    assert desc2["creationDate"] == desc["creationDate"]

    listed = [m for m in all_state_machines(sfn) if m["stateMachineArn"] == arn]
    assert len(listed) == 1
    assert listed[0]["name"] == name
    assert listed[0]["type"] == "STANDARD"
    assert isinstance(listed[0]["creationDate"], datetime.datetime)

    sfn.delete_state_machine(stateMachineArn=arn)
    # AWS may report DELETING for a while before the machine is gone.
    deadline = time.monotonic() + 30
    while True:
        try:
            d = sfn.describe_state_machine(stateMachineArn=arn)
        except ClientError as e:
            assert e.response["Error"]["Code"] == "StateMachineDoesNotExist", e.response
            break
        assert d["status"] == "DELETING", d
        assert time.monotonic() < deadline, "state machine never disappeared"
        time.sleep(0.1)
    assert arn not in {m["stateMachineArn"] for m in all_state_machines(sfn)}


# b. error codes
def test_create_invalid_definition(sfn):
    expect_error("InvalidDefinition", sfn.create_state_machine,
                 name=unique("inv"), definition=INVALID_DEF, roleArn=ROLE_ARN)
    expect_error("InvalidDefinition", sfn.create_state_machine,
                 name=unique("inv"), definition="{not json", roleArn=ROLE_ARN)


def test_create_invalid_name(sfn):
    expect_error("InvalidName", sfn.create_state_machine,
                 name="bad name!", definition=PASS_DEF, roleArn=ROLE_ARN)


def test_create_is_idempotent_but_conflicts_on_new_definition(sfn):
    name, arn = create_machine(sfn, PASS_DEF, "dup")
    again = sfn.create_state_machine(name=name, definition=PASS_DEF, roleArn=ROLE_ARN)
    assert again["stateMachineArn"] == arn
    expect_error("StateMachineAlreadyExists", sfn.create_state_machine,
                 name=name, definition=CHOICE_DEF, roleArn=ROLE_ARN)


def test_invalid_arn_and_missing_resources(sfn):
    expect_error("InvalidArn", sfn.describe_state_machine, stateMachineArn="not-an-arn")
    expect_error("InvalidArn", sfn.describe_execution, executionArn="not-an-arn")
    expect_error("StateMachineDoesNotExist", sfn.describe_state_machine,
                 stateMachineArn=sm_arn(unique("nosuch")))
    expect_error("StateMachineDoesNotExist", sfn.start_execution,
                 stateMachineArn=sm_arn(unique("nosuch")), input="{}")
    expect_error("ExecutionDoesNotExist", sfn.describe_execution,
                 executionArn=exec_arn(unique("nosuch"), "e1"))


def test_invalid_next_token(sfn):
    expect_error("InvalidToken", sfn.list_state_machines, nextToken="garbage-token")


# c. list_state_machines pagination
def test_list_state_machines_pagination(sfn):
    mine = {create_machine(sfn, PASS_DEF, "page")[1] for _ in range(5)}
    seen, token, pages = [], None, 0
    while True:
        kwargs = {"maxResults": 2}
        if token:
            kwargs["nextToken"] = token
        page = sfn.list_state_machines(**kwargs)
        pages += 1
        assert len(page["stateMachines"]) <= 2
        seen.extend(m["stateMachineArn"] for m in page["stateMachines"])
        token = page.get("nextToken")
        if not token:
            break
        assert pages < 10_000, "nextToken never ran out"
    assert len(seen) == len(set(seen)), "a state machine was listed twice"
    assert mine <= set(seen)
    assert pages >= 3


# d. validate_state_machine_definition
def test_validate_definition(sfn):
    ok = sfn.validate_state_machine_definition(definition=CHOICE_DEF, type="STANDARD")
    assert ok["result"] == "OK"
    assert ok["diagnostics"] == []

    bad = sfn.validate_state_machine_definition(definition=INVALID_DEF)
    assert bad["result"] == "FAIL"
    assert bad["diagnostics"]
    for diag in bad["diagnostics"]:
        assert diag["severity"] == "ERROR"
        assert isinstance(diag["code"], str) and diag["code"]
        assert isinstance(diag["message"], str) and diag["message"]
        assert isinstance(diag["location"], str) and diag["location"]


# e. executions
def test_execution_succeeds(sfn):
    sm_name, arn = create_machine(sfn, CHOICE_DEF, "exec")
    inp = {"n": 42, "tag": "x"}
    started = sfn.start_execution(stateMachineArn=arn, name="e1", input=dumps(inp))
    assert started["executionArn"] == exec_arn(sm_name, "e1")
    assert isinstance(started["startDate"], datetime.datetime)

    desc = wait_until_done(sfn, started["executionArn"])
    assert desc["status"] == "SUCCEEDED"
    assert desc["executionArn"] == started["executionArn"]
    assert desc["stateMachineArn"] == arn
    assert desc["name"] == "e1"
    assert json.loads(desc["input"]) == inp
    assert json.loads(desc["output"]) == {"n": 42, "tag": "x", "size": "big"}
    assert isinstance(desc["startDate"], datetime.datetime)
    assert isinstance(desc["stopDate"], datetime.datetime)
    assert desc["stopDate"] >= desc["startDate"]
    assert "error" not in desc and "cause" not in desc

    small = run_to_end(sfn, arn, {"n": 3})
    assert small["status"] == "SUCCEEDED"
    assert json.loads(small["output"]) == {"size": "small", "n": 3}


def test_start_execution_idempotency(sfn):
    # AWS: same name + same input as a *running* execution returns the same
    # execution; a different input, or any reuse once it is closed, is
    # ExecutionAlreadyExists.
    _, arn = create_machine(sfn, LONG_WAIT_DEF, "idem")
    first = sfn.start_execution(stateMachineArn=arn, name="e1", input='{"a":1}')
    again = sfn.start_execution(stateMachineArn=arn, name="e1", input='{"a":1}')
    assert again["executionArn"] == first["executionArn"]
    expect_error("ExecutionAlreadyExists", sfn.start_execution,
                 stateMachineArn=arn, name="e1", input='{"a":2}')
    sfn.stop_execution(executionArn=first["executionArn"])
    assert wait_until_done(sfn, first["executionArn"])["status"] == "ABORTED"
    expect_error("ExecutionAlreadyExists", sfn.start_execution,
                 stateMachineArn=arn, name="e1", input='{"a":1}')


# f. failing workflow
def test_execution_fails(sfn):
    _, arn = create_machine(sfn, FAIL_DEF, "fail")
    desc = run_to_end(sfn, arn, {"x": 1})
    assert desc["status"] == "FAILED"
    assert desc["error"] == "Oops"
    assert desc["cause"] == "bad"
    assert isinstance(desc["stopDate"], datetime.datetime)
    assert "output" not in desc

    events = full_history(sfn, desc["executionArn"])
    assert events[-1]["type"] == "ExecutionFailed"
    assert events[-1]["executionFailedEventDetails"] == {"error": "Oops", "cause": "bad"}


# g. get_execution_history
def test_execution_history(sfn):
    _, arn = create_machine(sfn, PASS_DEF, "hist")
    inp = {"k": "v"}
    desc = run_to_end(sfn, arn, inp)
    assert desc["status"] == "SUCCEEDED"
    xarn = desc["executionArn"]

    events = sfn.get_execution_history(executionArn=xarn)["events"]
    assert [e["type"] for e in events] == [
        "ExecutionStarted", "PassStateEntered", "PassStateExited", "ExecutionSucceeded",
    ]
    assert [e["id"] for e in events] == list(range(1, len(events) + 1))
    assert events[0]["previousEventId"] == 0
    for e in events:
        assert isinstance(e["timestamp"], datetime.datetime)
    started = events[0]["executionStartedEventDetails"]
    assert json.loads(started["input"]) == inp
    assert started["roleArn"] == ROLE_ARN
    assert events[1]["stateEnteredEventDetails"]["name"] == "P"
    assert events[2]["stateExitedEventDetails"]["name"] == "P"
    succeeded = events[-1]["executionSucceededEventDetails"]
    assert json.loads(succeeded["output"]) == {"k": "v", "r": {"ok": True}}

    reverse = sfn.get_execution_history(executionArn=xarn, reverseOrder=True)["events"]
    assert reverse == list(reversed(events))

    paged, token, pages = [], None, 0
    while True:
        kwargs = {"executionArn": xarn, "maxResults": 2}
        if token:
            kwargs["nextToken"] = token
        page = sfn.get_execution_history(**kwargs)
        pages += 1
        assert len(page["events"]) <= 2
        paged.extend(page["events"])
        token = page.get("nextToken")
        if not token:
            break
        assert pages < 100, "nextToken never ran out"
    assert paged == events

    reverse_paged = full_history(sfn, xarn, maxResults=3, reverseOrder=True)
    assert reverse_paged == reverse

    bare = sfn.get_execution_history(executionArn=xarn, includeExecutionData=False)["events"]
    assert [e["id"] for e in bare] == [e["id"] for e in events]
    assert "executionStartedEventDetails" in bare[0]
    assert "executionSucceededEventDetails" in bare[-1]
    for e in bare:
        for key, details in e.items():
            if key.endswith("EventDetails"):
                assert "input" not in details and "output" not in details, e

    expect_error("ExecutionDoesNotExist", sfn.get_execution_history,
                 executionArn=exec_arn(unique("nosuch"), "e1"))


# h. list_executions
def list_executions_paged(sfn, arn, status=None, page_size=2):
    items, token = [], None
    while True:
        kwargs = {"stateMachineArn": arn, "maxResults": page_size}
        if status:
            kwargs["statusFilter"] = status
        if token:
            kwargs["nextToken"] = token
        page = sfn.list_executions(**kwargs)
        assert len(page["executions"]) <= page_size
        items.extend(page["executions"])
        token = page.get("nextToken")
        if not token:
            return items


def test_list_executions(sfn):
    _, arn = create_machine(sfn, MAYBE_FAIL_DEF, "list")
    ok = {run_to_end(sfn, arn, {"fail": False})["executionArn"] for _ in range(3)}
    bad = {run_to_end(sfn, arn, {"fail": True})["executionArn"] for _ in range(2)}

    succeeded = list_executions_paged(sfn, arn, "SUCCEEDED")
    assert sorted(e["executionArn"] for e in succeeded) == sorted(ok)
    assert all(e["status"] == "SUCCEEDED" for e in succeeded)

    failed = list_executions_paged(sfn, arn, "FAILED")
    assert sorted(e["executionArn"] for e in failed) == sorted(bad)
    assert all(e["status"] == "FAILED" for e in failed)

    everything = list_executions_paged(sfn, arn)
    assert sorted(e["executionArn"] for e in everything) == sorted(ok | bad)
    for e in everything:
        assert e["stateMachineArn"] == arn
        assert isinstance(e["startDate"], datetime.datetime)
        assert isinstance(e["stopDate"], datetime.datetime)
    # AWS: most recent first (closed executions ordered by stopDate).
    stops = [e["stopDate"] for e in everything]
    assert stops == sorted(stops, reverse=True)

    assert list_executions_paged(sfn, arn, "RUNNING") == []


# i. stop_execution
def test_stop_execution(sfn):
    _, arn = create_machine(sfn, LONG_WAIT_DEF, "stop")
    xarn = sfn.start_execution(stateMachineArn=arn, input="{}")["executionArn"]
    assert sfn.describe_execution(executionArn=xarn)["status"] == "RUNNING"
    running = list_executions_paged(sfn, arn, "RUNNING")
    assert [e["executionArn"] for e in running] == [xarn]
    assert "stopDate" not in running[0]

    stopped = sfn.stop_execution(executionArn=xarn)
    assert isinstance(stopped["stopDate"], datetime.datetime)
    desc = wait_until_done(sfn, xarn)
    assert desc["status"] == "ABORTED"
    assert isinstance(desc["stopDate"], datetime.datetime)

    events = full_history(sfn, xarn)
    assert events[0]["type"] == "ExecutionStarted"
    assert events[-1]["type"] == "ExecutionAborted"
    assert [e["id"] for e in events] == list(range(1, len(events) + 1))
    assert list_executions_paged(sfn, arn, "ABORTED")[0]["executionArn"] == xarn


def wait_for_event(sfn, xarn, event_type, timeout=30):
    deadline = time.monotonic() + timeout
    while True:
        events = full_history(sfn, xarn)
        if event_type in [e["type"] for e in events]:
            return events
        assert time.monotonic() < deadline, (
            f"history of a RUNNING execution never showed {event_type}: "
            f"{[e['type'] for e in events]}"
        )
        time.sleep(0.05)


def test_history_of_running_execution_is_live(sfn):
    # AWS: GetExecutionHistory on a RUNNING execution returns the events so far.
    _, arn = create_machine(sfn, LONG_WAIT_DEF, "live")
    xarn = sfn.start_execution(stateMachineArn=arn, input="{}")["executionArn"]
    try:
        events = wait_for_event(sfn, xarn, "WaitStateEntered")
        assert [e["type"] for e in events] == ["ExecutionStarted", "WaitStateEntered"]
        assert sfn.describe_execution(executionArn=xarn)["status"] == "RUNNING"
    finally:
        sfn.stop_execution(executionArn=xarn)


def test_stop_records_error_and_cause(sfn):
    # AWS records StopExecution's error and cause in the ExecutionAborted event.
    _, arn = create_machine(sfn, LONG_WAIT_DEF, "stopwhy")
    xarn = sfn.start_execution(stateMachineArn=arn, input="{}")["executionArn"]
    sfn.stop_execution(executionArn=xarn, error="Test.Stop", cause="stopped by test")
    assert wait_until_done(sfn, xarn)["status"] == "ABORTED"
    last = full_history(sfn, xarn)[-1]
    assert last["type"] == "ExecutionAborted"
    assert last.get("executionAbortedEventDetails") == {
        "error": "Test.Stop", "cause": "stopped by test",
    }


# j. EXPRESS + StartSyncExecution
def test_express_sync_execution(sfn):
    sm_name, arn = create_machine(sfn, CHOICE_DEF, "expr", type="EXPRESS")
    assert sfn.describe_state_machine(stateMachineArn=arn)["type"] == "EXPRESS"

    res = sfn.start_sync_execution(stateMachineArn=arn, name="x1", input=dumps({"n": 5}))
    assert res["status"] == "SUCCEEDED"
    assert json.loads(res["output"]) == {"size": "small", "n": 5}
    assert ":express:" in res["executionArn"]
    assert res["executionArn"].startswith(f"{EXPRESS_PREFIX}{sm_name}:x1:")
    assert res["stateMachineArn"] == arn
    assert isinstance(res["startDate"], datetime.datetime)
    assert isinstance(res["stopDate"], datetime.datetime)

    unnamed = sfn.start_sync_execution(stateMachineArn=arn, input=dumps({"n": 50}))
    assert unnamed["status"] == "SUCCEEDED"
    assert unnamed["executionArn"].startswith(f"{EXPRESS_PREFIX}{sm_name}:")

    _, fail_arn = create_machine(sfn, FAIL_DEF, "exprfail", type="EXPRESS")
    failed = sfn.start_sync_execution(stateMachineArn=fail_arn, input="{}")
    assert failed["status"] == "FAILED"
    assert failed["error"] == "Oops"
    assert failed["cause"] == "bad"
    assert ":express:" in failed["executionArn"]


def test_sync_execution_rejects_standard(sfn):
    _, arn = create_machine(sfn, PASS_DEF, "notexpr")
    expect_error("StateMachineTypeNotSupported", sfn.start_sync_execution,
                 stateMachineArn=arn, input="{}")


# k. describe_state_machine_for_execution
def test_describe_state_machine_for_execution(sfn):
    sm_name, arn = create_machine(sfn, CHOICE_DEF, "forexec")
    desc = run_to_end(sfn, arn, {"n": 1})
    res = sfn.describe_state_machine_for_execution(executionArn=desc["executionArn"])
    assert res["stateMachineArn"] == arn
    assert res["name"] == sm_name
    assert res["definition"] == CHOICE_DEF
    assert res["roleArn"] == ROLE_ARN
    assert isinstance(res["updateDate"], datetime.datetime)


# l. tags
def test_tags(sfn):
    name = unique("tags")
    arn = sfn.create_state_machine(
        name=name, definition=PASS_DEF, roleArn=ROLE_ARN,
        tags=[{"key": "team", "value": "core"}],
    )["stateMachineArn"]

    def tags():
        got = sfn.list_tags_for_resource(resourceArn=arn)["tags"]
        return {t["key"]: t["value"] for t in got}

    assert tags() == {"team": "core"}
    sfn.tag_resource(resourceArn=arn, tags=[{"key": "env", "value": "test"},
                                            {"key": "team", "value": "platform"}])
    assert tags() == {"team": "platform", "env": "test"}
    sfn.untag_resource(resourceArn=arn, tagKeys=["team"])
    assert tags() == {"env": "test"}
    sfn.untag_resource(resourceArn=arn, tagKeys=["env"])
    assert tags() == {}

    expect_error("ResourceNotFound", sfn.list_tags_for_resource,
                 resourceArn=sm_arn(unique("nosuch")))


# m. durability across a restart on the same db file
def test_state_survives_restart(make_server):
    srv = make_server()
    sfn = srv.client()
    sm_name, arn = create_machine(sfn, CHOICE_DEF, "durable")
    done = run_to_end(sfn, arn, {"n": 11}, name="before-restart")
    assert done["status"] == "SUCCEEDED"
    xarn = done["executionArn"]

    before = {
        "sm": strip_meta(sfn.describe_state_machine(stateMachineArn=arn)),
        "exec": strip_meta(sfn.describe_execution(executionArn=xarn)),
        "history": full_history(sfn, xarn),
        "list": [strip_meta(e) for e in sfn.list_executions(stateMachineArn=arn)["executions"]],
    }

    srv.restart()
    sfn = srv.client()
    after = {
        "sm": strip_meta(sfn.describe_state_machine(stateMachineArn=arn)),
        "exec": strip_meta(sfn.describe_execution(executionArn=xarn)),
        "history": full_history(sfn, xarn),
        "list": [strip_meta(e) for e in sfn.list_executions(stateMachineArn=arn)["executions"]],
    }
    assert after == before

    # The restarted server still runs new work and keeps names taken.
    again = run_to_end(sfn, arn, {"n": 1})
    assert again["status"] == "SUCCEEDED"
    expect_error("ExecutionAlreadyExists", sfn.start_execution,
                 stateMachineArn=arn, name="before-restart", input=dumps({"n": 11}))
