#!/usr/bin/env python3
"""Side-by-side load on `asl serve` and moto's server (the same workloads, one command).

    python3 benches/serve_load.py [--servers asl,moto] [--seconds 10] [--standard 5000]
                                  [--parked 10000] [--moto-venv DIR]

(a) StartSyncExecution of a 3-state Express workflow over 64 keep-alive connections
    (the load generator `target/release/examples/serve_load`): executions/s, p50/p99.
(b) StartExecution of N executions of a 10-state Standard workflow (64 connections),
    then until all have completed: executions/s and state transitions/s.
(c) N executions parked in a one-hour Wait: the server's RSS and thread count.

moto runs its ASL interpreter (a port of LocalStack's) when its config says so (POST
/moto-api/config); it is installed into a virtual environment on first use
(`pip install "moto[server]"`). Needs `cargo build --release --example serve_load`
and the `asl` binary. Prints one table and the asl/moto ratios.
"""
import argparse
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ASL = os.environ.get("ASL_BIN", os.path.join(ROOT, "target", "release", "asl"))
LOAD = os.path.join(ROOT, "target", "release", "examples", "serve_load")
ROLE = "arn:aws:iam::123456789012:role/Bench"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def call(url, op, body):
    req = urllib.request.Request(
        url + "/",
        data=json.dumps(body).encode(),
        headers={
            "Content-Type": "application/x-amz-json-1.0",
            "X-Amz-Target": "AWSStepFunctions." + op,
            "Authorization": "AWS4-HMAC-SHA256 Credential=test/20240101/us-east-1/states/aws4_request, SignedHeaders=host, Signature=0",
        },
    )
    with urllib.request.urlopen(req, timeout=600) as r:
        return json.loads(r.read() or b"{}")


def load(url, op, body, connections=64, seconds=None, requests=None, bodies=None):
    args = [LOAD, url, "AWSStepFunctions." + op, body, "--connections", str(connections)]
    if bodies:
        args += ["--bodies", bodies]
    if seconds:
        args += ["--seconds", str(seconds)]
    if requests:
        args += ["--requests", str(requests)]
    out = subprocess.run(args, capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def proc_stats(pid):
    rss = threads = None
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                rss = int(line.split()[1]) / 1024
            if line.startswith("Threads:"):
                threads = int(line.split()[1])
    return rss, threads


def passes(n):
    states = {f"S{i}": {"Type": "Pass", "Result": i, "ResultPath": f"$.s{i}", "Next": f"S{i + 1}"} for i in range(n - 1)}
    states[f"S{n - 1}"] = {"Type": "Succeed"}
    return json.dumps({"StartAt": "S0", "States": states})


def start_asl(tmp):
    port = free_port()
    db = os.path.join(tmp, "state.db")
    p = subprocess.Popen([ASL, "serve", "--listen", f"127.0.0.1:{port}", "--db", db],
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    line = p.stderr.readline()
    if "listening on" not in line:
        raise SystemExit(f"asl serve did not start: {line}")
    return p, f"http://127.0.0.1:{port}", "SQLite WAL, synchronous=NORMAL (survives a process crash)"


def start_moto(venv):
    if not os.path.exists(os.path.join(venv, "bin", "moto_server")):
        subprocess.run([sys.executable, "-m", "venv", venv], check=True)
        subprocess.run([os.path.join(venv, "bin", "pip"), "install", "-q", "moto[server]"], check=True)
    port = free_port()
    p = subprocess.Popen([os.path.join(venv, "bin", "moto_server"), "-H", "127.0.0.1", "-p", str(port)],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            req = urllib.request.Request(url + "/moto-api/config", data=json.dumps(
                {"stepfunctions": {"execute_state_machine": True}}).encode(), method="POST")
            urllib.request.urlopen(req, timeout=5).read()
            break
        except OSError:
            time.sleep(0.1)
    return p, url, "in memory (nothing durable)"


def wait_all(url, machine, total, deadline_s=600):
    """Polls until no execution of `machine` is RUNNING; returns the count that ended."""
    deadline = time.time() + deadline_s
    while time.time() < deadline:
        running = call(url, "ListExecutions", {"stateMachineArn": machine, "statusFilter": "RUNNING", "maxResults": 1})
        if not running.get("executions"):
            return total
        time.sleep(0.05)
    raise SystemExit("executions still RUNNING after the deadline")


def phase(results, name, key, f):
    """Runs one measurement; a server that can't do it gets the reason instead."""
    try:
        results[name].update(f())
    except Exception as e:  # noqa: BLE001 - any failure is reported, not fatal
        results[name][key] = f"failed: {e}"


def bench(name, server, args, results):
    with tempfile.TemporaryDirectory() as tmp:
        if name == "asl":
            proc, url, durability = start_asl(tmp)
        else:
            proc, url, durability = start_moto(args.moto_venv)
        results[name] = {"durability": durability}
        try:
            def sync():
                express = call(url, "CreateStateMachine", {"name": "express3", "definition": passes(3), "roleArn": ROLE, "type": "EXPRESS"})["stateMachineArn"]
                a = load(url, "StartSyncExecution", json.dumps({"stateMachineArn": express, "input": "{\"n\": {n}}"}), seconds=args.seconds)
                if a["requests"] == 0:
                    raise RuntimeError(f"no StartSyncExecution succeeded ({a['errors']} errors)")
                return {"sync_per_s": a["per_second"], "sync_p50_ms": a["p50_ms"], "sync_p99_ms": a["p99_ms"], "sync_errors": a["errors"]}

            def standard():
                sm = call(url, "CreateStateMachine", {"name": "standard10", "definition": passes(10), "roleArn": ROLE})["stateMachineArn"]
                t0 = time.time()
                b = load(url, "StartExecution", json.dumps({"stateMachineArn": sm, "name": "run-{n}", "input": "{}"}), requests=args.standard)
                wait_all(url, sm, args.standard, deadline_s=args.deadline)
                elapsed = time.time() - t0
                return {"standard_execs_per_s": b["requests"] / elapsed, "standard_transitions_per_s": b["requests"] * 10 / elapsed,
                        "standard_errors": b["errors"]}

            def parked():
                nap = json.dumps({"StartAt": "Nap", "States": {"Nap": {"Type": "Wait", "Seconds": 3600, "End": True}}})
                sm = call(url, "CreateStateMachine", {"name": "nap", "definition": nap, "roleArn": ROLE})["stateMachineArn"]
                rss0, threads0 = proc_stats(proc.pid)
                load(url, "StartExecution", json.dumps({"stateMachineArn": sm, "name": "nap-{n}", "input": "{}"}), requests=args.parked, connections=16)
                time.sleep(2)
                rss, threads = proc_stats(proc.pid)
                return {"parked": args.parked, "rss_before_mib": rss0, "rss_parked_mib": rss,
                        "threads_before": threads0, "threads_parked": threads}

            def callbacks():
                # N executions each parked on a callback; then a client answers every
                # token (SendTaskSuccess over 64 keep-alive connections) until all end.
                ask = json.dumps({"StartAt": "Ask", "States": {"Ask": {
                    "Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
                    "Parameters": {"token.$": "$$.Task.Token"}, "End": True}}})
                sm = call(url, "CreateStateMachine", {"name": "ask", "definition": ask, "roleArn": ROLE})["stateMachineArn"]
                load(url, "StartExecution", json.dumps({"stateMachineArn": sm, "name": "ask-{n}", "input": "{}"}),
                     requests=args.callbacks, connections=16)
                tokens = []
                for n in range(args.callbacks):
                    arn = sm.replace(":stateMachine:", ":execution:") + f":ask-{n}"
                    while True:
                        h = call(url, "GetExecutionHistory", {"executionArn": arn})
                        ev = [e for e in h["events"] if e["type"] == "TaskScheduled"]
                        if ev:
                            tokens.append(json.loads(ev[0]["taskScheduledEventDetails"]["parameters"])["token"])
                            break
                        time.sleep(0.01)
                time.sleep(2)
                rss, threads = proc_stats(proc.pid)
                path = os.path.join(tmp, "answers.jsonl")
                with open(path, "w") as f:
                    for t in tokens:
                        f.write(json.dumps({"taskToken": t, "output": "{\"ok\": true}"}) + "\n")
                t0 = time.time()
                a = load(url, "SendTaskSuccess", "", bodies=path)
                wait_all(url, sm, args.callbacks, deadline_s=args.deadline)
                elapsed = time.time() - t0
                return {"callbacks": args.callbacks, "callbacks_rss_mib": rss, "callbacks_threads": threads,
                        "callbacks_per_s": len(tokens) / elapsed, "callback_answer_errors": a["errors"]}

            def children():
                # A Map of N items, each a child execution started with .sync:2.
                child = call(url, "CreateStateMachine", {"name": "child", "roleArn": ROLE, "definition": json.dumps(
                    {"StartAt": "C", "States": {"C": {"Type": "Pass", "Parameters": {"v.$": "$.v"}, "End": True}}})})["stateMachineArn"]
                # Distributed: 10,000 inline iterations would pass the 25,000-event quota,
                # on AWS as here.
                parent = json.dumps({"StartAt": "Each", "States": {"Each": {
                    "Type": "Map", "ItemsPath": "$.items", "End": True,
                    "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                                      "StartAt": "Call", "States": {"Call": {
                        "Type": "Task", "Resource": "arn:aws:states:::states:startExecution.sync:2",
                        "Parameters": {"StateMachineArn": child, "Input": {"v.$": "$"}},
                        "OutputPath": "$.Output", "End": True}}}}}})
                sm = call(url, "CreateStateMachine", {"name": "fanout", "definition": parent, "roleArn": ROLE})["stateMachineArn"]
                t0 = time.time()
                x = call(url, "StartExecution", {"stateMachineArn": sm, "input": json.dumps({"items": list(range(args.children))})})
                while True:
                    d = call(url, "DescribeExecution", {"executionArn": x["executionArn"]})
                    if d["status"] != "RUNNING":
                        break
                    if time.time() - t0 > args.deadline:
                        raise RuntimeError("the parent is still RUNNING")
                    time.sleep(0.1)
                elapsed = time.time() - t0
                if d["status"] != "SUCCEEDED":
                    raise RuntimeError(f"the parent ended {d['status']}: {d.get('cause')}")
                return {"children": args.children, "children_per_s": args.children / elapsed}

            phase(results, name, "sync_per_s", sync)
            phase(results, name, "standard_execs_per_s", standard)
            phase(results, name, "rss_parked_mib", parked)
            if args.callbacks:
                phase(results, name, "callbacks_per_s", callbacks)
            if args.children:
                phase(results, name, "children_per_s", children)
        finally:
            proc.kill()
            proc.wait()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--servers", default="asl,moto")
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--standard", type=int, default=5000)
    ap.add_argument("--parked", type=int, default=10000)
    ap.add_argument("--callbacks", type=int, default=0, help="executions parked on a callback, then answered")
    ap.add_argument("--children", type=int, default=0, help="items of a Map that starts a .sync:2 child each")
    ap.add_argument("--moto-venv", default="/tmp/asl-moto-venv")
    ap.add_argument("--deadline", type=float, default=300, help="seconds to wait for (b) to complete")
    args = ap.parse_args()
    for tool in (ASL, LOAD):
        if not os.path.exists(tool):
            raise SystemExit(f"{tool} is missing: cargo build --release --example serve_load")
    results = {}
    for name in args.servers.split(","):
        bench(name, None, args, results)
    print(json.dumps(results, indent=2))
    keys = ["sync_per_s", "sync_p50_ms", "sync_p99_ms", "standard_execs_per_s", "standard_transitions_per_s",
            "rss_parked_mib", "threads_parked", "callbacks_per_s", "callbacks_rss_mib", "callbacks_threads",
            "children_per_s"]
    print(f"{'measure':28} " + " ".join(f"{n:>12}" for n in results) + ("   asl/moto" if len(results) == 2 else ""))
    for k in keys:
        vals = [results[n].get(k) for n in results]
        nums = [v if isinstance(v, (int, float)) else None for v in vals]
        ratio = f"   {nums[0] / nums[1]:.2f}x" if len(nums) == 2 and all(nums) else ""
        print(f"{k:28} " + " ".join(f"{v:12.1f}" if v is not None else f"{'n/a':>12}" for v in nums) + ratio)


if __name__ == "__main__":
    main()
