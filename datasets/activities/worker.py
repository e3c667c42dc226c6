#!/usr/bin/env python3
"""An activity worker (boto3): takes tasks of one activity from a Step Functions
endpoint (`asl serve`, or AWS itself), does them, and answers each with its token.

    python3 datasets/activities/worker.py [--endpoint http://127.0.0.1:8083]
        [--activity arn:aws:states:us-east-1:123456789012:activity:review]
        [--name worker-1] [--max-tasks N]

Start several: each task goes to exactly one of them.
"""
import argparse
import json

import boto3
from botocore.config import Config


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--endpoint", default="http://127.0.0.1:8083")
    ap.add_argument("--activity", default="arn:aws:states:us-east-1:123456789012:activity:review")
    ap.add_argument("--name", default="worker")
    ap.add_argument("--max-tasks", type=int, default=0, help="stop after this many tasks (0: never)")
    a = ap.parse_args()
    sfn = boto3.client(
        "stepfunctions", endpoint_url=a.endpoint, region_name="us-east-1",
        aws_access_key_id="local", aws_secret_access_key="local",
        # GetActivityTask waits up to 60 s for a task: read longer than that.
        config=Config(read_timeout=70, retries={"total_max_attempts": 1}),
    )
    done = 0
    while not a.max_tasks or done < a.max_tasks:
        task = sfn.get_activity_task(activityArn=a.activity, workerName=a.name)
        token = task.get("taskToken")
        if not token:
            continue  # no task within 60 s: poll again
        doc = json.loads(task["input"])
        try:
            result = {"id": doc["id"], "minutes": round(doc["words"] / 200, 2), "by": a.name}
            sfn.send_task_success(taskToken=token, output=json.dumps(result))
        except Exception as e:  # the task fails; Retry and Catch see the error
            sfn.send_task_failure(taskToken=token, error="ReviewFailed", cause=str(e))
        done += 1
        print(f"{a.name}: {doc.get('id')} done", flush=True)


if __name__ == "__main__":
    main()
