"""The AWS CLI (v1, from the same venv) against `asl serve`."""

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from support import CHOICE_DEF, MAYBE_FAIL_DEF, POLL_TIMEOUT_S, ROLE_ARN, dumps, sm_arn, unique

AWS = Path(sys.executable).parent / "aws"


@pytest.fixture(scope="module")
def aws(server, tmp_path_factory):
    """Run `aws ... stepfunctions ARGS` against the shared server."""
    if not AWS.is_file():
        pytest.fail(f"aws CLI not found next to {sys.executable} (run bash tests/setup.sh)",
                    pytrace=False)
    cfg = tmp_path_factory.mktemp("aws-cli")
    (cfg / "config").write_text("")
    (cfg / "credentials").write_text("")
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        AWS_ACCESS_KEY_ID="test",
        AWS_SECRET_ACCESS_KEY="test",
        AWS_CONFIG_FILE=str(cfg / "config"),
        AWS_SHARED_CREDENTIALS_FILE=str(cfg / "credentials"),
        AWS_EC2_METADATA_DISABLED="true",
        AWS_MAX_ATTEMPTS="1",
        AWS_RETRY_MODE="standard",
        AWS_PAGER="",
    )

    def run(*args, check=True):
        cmd = [str(AWS), "--endpoint-url", server.url, "--region", "us-east-1",
               "--output", "json", "stepfunctions", *args]
        proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
        if not check:
            return proc
        assert proc.returncode == 0, (
            f"{' '.join(cmd)} exited {proc.returncode}\nstdout:\n{proc.stdout}\n"
            f"stderr:\n{proc.stderr}"
        )
        return json.loads(proc.stdout) if proc.stdout.strip() else {}

    return run


def wait_done(aws, execution_arn):
    deadline = time.monotonic() + POLL_TIMEOUT_S
    while True:
        desc = aws("describe-execution", "--execution-arn", execution_arn)
        if desc["status"] != "RUNNING":
            return desc
        assert time.monotonic() < deadline, f"still RUNNING after {POLL_TIMEOUT_S}s: {desc}"
        time.sleep(0.1)


def test_cli_lifecycle(aws):
    name = unique("cli1")
    created = aws("create-state-machine", "--name", name, "--definition", CHOICE_DEF,
                  "--role-arn", ROLE_ARN)
    arn = created["stateMachineArn"]
    assert arn == sm_arn(name)
    assert created["creationDate"]

    desc = aws("describe-state-machine", "--state-machine-arn", arn)
    assert desc["name"] == name
    assert desc["definition"] == CHOICE_DEF
    assert desc["status"] == "ACTIVE"

    started = aws("start-execution", "--state-machine-arn", arn, "--name", "run1",
                  "--input", dumps({"n": 20}))
    xarn = started["executionArn"]
    assert xarn == f"arn:aws:states:us-east-1:123456789012:execution:{name}:run1"

    done = wait_done(aws, xarn)
    assert done["status"] == "SUCCEEDED"
    assert json.loads(done["output"]) == {"n": 20, "size": "big"}
    assert done["startDate"] and done["stopDate"]

    listed = aws("list-executions", "--state-machine-arn", arn)
    assert [e["executionArn"] for e in listed["executions"]] == [xarn]
    assert listed["executions"][0]["status"] == "SUCCEEDED"
    assert aws("list-executions", "--state-machine-arn", arn,
               "--status-filter", "FAILED")["executions"] == []

    history = aws("get-execution-history", "--execution-arn", xarn)["events"]
    assert history[0]["type"] == "ExecutionStarted"
    assert history[-1]["type"] == "ExecutionSucceeded"
    assert [e["id"] for e in history] == list(range(1, len(history) + 1))


def test_cli_pagination(aws):
    name = unique("clipage")
    arn = aws("create-state-machine", "--name", name, "--definition", MAYBE_FAIL_DEF,
              "--role-arn", ROLE_ARN)["stateMachineArn"]
    arns = set()
    for i in range(3):
        xarn = aws("start-execution", "--state-machine-arn", arn, "--name", f"p{i}",
                   "--input", dumps({"fail": False}))["executionArn"]
        assert wait_done(aws, xarn)["status"] == "SUCCEEDED"
        arns.add(xarn)

    # --page-size 1: the CLI follows the server's nextToken until it runs out.
    all_items = aws("list-executions", "--state-machine-arn", arn, "--page-size", "1")
    assert sorted(e["executionArn"] for e in all_items["executions"]) == sorted(arns)
    assert "NextToken" not in all_items

    first = aws("list-executions", "--state-machine-arn", arn, "--page-size", "1",
                "--max-items", "2")
    assert len(first["executions"]) == 2
    rest = aws("list-executions", "--state-machine-arn", arn, "--page-size", "1",
               "--starting-token", first["NextToken"])
    seen = [e["executionArn"] for e in first["executions"] + rest["executions"]]
    assert sorted(seen) == sorted(arns)


def test_cli_service_error(aws):
    proc = aws("describe-state-machine", "--state-machine-arn", sm_arn(unique("nosuch")),
               check=False)
    assert proc.returncode != 0
    assert "StateMachineDoesNotExist" in proc.stderr
