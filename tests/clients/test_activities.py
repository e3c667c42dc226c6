"""Activities with boto3: a pool of four worker processes drains a Map of activity
tasks through GetActivityTask / SendTaskSuccess; each task is done exactly once."""

import json
import multiprocessing

import boto3
from botocore.config import Config

from support import create_machine, dumps, expect_error, unique, wait_until_done

ITEMS = 1000
WORKERS = 4


def worker(url, activity_arn, name, done_queue):
    sfn = boto3.client(
        "stepfunctions", endpoint_url=url, region_name="us-east-1",
        aws_access_key_id="test", aws_secret_access_key="test",
        # GetActivityTask long-polls up to 60 s: the read timeout must be longer.
        config=Config(retries={"total_max_attempts": 1}, read_timeout=70, connect_timeout=5),
    )
    while True:
        task = sfn.get_activity_task(activityArn=activity_arn, workerName=name)
        token = task.get("taskToken")
        if not token:
            continue
        item = json.loads(task["input"])
        if item.get("stop"):
            sfn.send_task_success(taskToken=token, output="{}")
            return
        sfn.send_task_success(taskToken=token, output=dumps({"n": item["n"] * 10, "by": name}))
        done_queue.put((token, item["n"]))


def test_four_worker_processes_drain_a_map_of_activity_tasks(sfn, server):
    activity = sfn.create_activity(name=unique("review"))["activityArn"]
    assert sfn.describe_activity(activityArn=activity)["activityArn"] == activity
    definition = dumps({"StartAt": "Each", "States": {"Each": {
        "Type": "Map", "ItemsPath": "$.items",
        "ItemProcessor": {"StartAt": "Work", "States": {"Work": {
            "Type": "Task", "Resource": activity, "HeartbeatSeconds": 300, "End": True}}},
        "End": True}}})
    _, arn = create_machine(sfn, definition, prefix="workers")
    ctx = multiprocessing.get_context("spawn")
    done = ctx.Queue()
    pool = [ctx.Process(target=worker, args=(server.url, activity, f"w{k}", done))
            for k in range(WORKERS)]
    for p in pool:
        p.start()
    try:
        xarn = sfn.start_execution(
            stateMachineArn=arn, input=dumps({"items": [{"n": n} for n in range(ITEMS)]}),
        )["executionArn"]
        desc = wait_until_done(sfn, xarn, timeout=300)
        assert desc["status"] == "SUCCEEDED", desc
        out = json.loads(desc["output"])
        assert [o["n"] for o in out] == [n * 10 for n in range(ITEMS)]
        assert len({o["by"] for o in out}) > 1, "the work was shared"
        # One stop task per worker ends the pool.
        stop = sfn.start_execution(
            stateMachineArn=arn, input=dumps({"items": [{"stop": True}] * WORKERS}),
        )["executionArn"]
        assert wait_until_done(sfn, stop)["status"] == "SUCCEEDED"
        # Drained before the joins: a process exits once what it queued is read.
        tokens = [done.get(timeout=60) for _ in range(ITEMS)]
        for p in pool:
            p.join(timeout=120)
            assert p.exitcode == 0
    finally:
        for p in pool:
            if p.is_alive():
                p.kill()
    assert done.empty()
    assert len({t for t, _ in tokens}) == ITEMS, "a task was done twice"
    assert sorted(n for _, n in tokens) == list(range(ITEMS))
    expect_error("TaskTimedOut", sfn.send_task_success, taskToken=tokens[0][0], output="{}")


def test_asl_run_listen_hands_its_activity_tasks_to_boto3_workers(tmp_path):
    """The bundled example without a server: `asl run --listen` answers GetActivityTask
    and SendTask* for its own activity tasks; two processes of the example's worker
    (datasets/activities/worker.py, boto3) drain its Map, each task done once."""
    import re
    import subprocess
    import sys

    from conftest import REPO_ROOT, asl_bin_path

    documents = json.loads((REPO_ROOT / "datasets/activities/input.json").read_text())["documents"]
    run = subprocess.Popen(
        [str(asl_bin_path()), "run", "datasets/activities/workflow.asl.json",
         "--input", "datasets/activities/input.json", "--listen", "127.0.0.1:0"],
        cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    workers = []
    try:
        first = run.stderr.readline()
        endpoint = re.search(r"listening on (http://\S+)", first).group(1)
        per_worker = len(documents) // 2
        workers = [subprocess.Popen(
            [sys.executable, "datasets/activities/worker.py", "--endpoint", endpoint,
             "--name", f"w{k}", "--max-tasks", str(per_worker)],
            cwd=REPO_ROOT, stdout=subprocess.PIPE, text=True) for k in range(2)]
        out, err = run.communicate(timeout=120)
        assert run.returncode == 0, err
        done = [w.communicate(timeout=60)[0].splitlines() for w in workers]
    finally:
        for p in [run, *workers]:
            if p.poll() is None:
                p.kill()
    results = json.loads(out)
    assert [r["id"] for r in results] == [d["id"] for d in documents]
    assert [r["minutes"] for r in results] == [round(d["words"] / 200, 2) for d in documents]
    # Each worker did its share, and no document was done twice.
    assert [len(lines) for lines in done] == [per_worker, per_worker]
    reported = sorted(line.split(": ")[1].split()[0] for lines in done for line in lines)
    assert reported == sorted(d["id"] for d in documents)
    assert {r["by"] for r in results} == {"w0", "w1"}
