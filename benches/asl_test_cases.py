#!/usr/bin/env python3
"""Cases per second of `asl test`: N cases of the orders workflow (datasets/orders),
every Lambda function mocked: the cases of datasets/orders/orders.test.yaml repeated
until there are N, run by the release binary; best and median of several runs.

    python3 benches/asl_test_cases.py [--cases 1000] [--runs 5]   (ASL_BIN to override)
"""
import argparse
import os
import re
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cases", type=int, default=1000)
    ap.add_argument("--runs", type=int, default=5)
    a = ap.parse_args()
    binary = os.environ.get("ASL_BIN", str(ROOT / "target/release/asl"))
    orders = ROOT / "datasets/orders"
    head, cases = (orders / "orders.test.yaml").read_text().split("\ncases:\n")
    kinds = cases.count("\n  - name:") + cases.startswith("  - name:")
    head = head.replace("definition: workflow.asl.json",
                        f"definition: {orders / 'workflow.asl.json'}")
    cases = cases.replace("inputFile: input.json", f"inputFile: {orders / 'input.json'}")
    repeats = -(-a.cases // kinds)
    text = head + "\ncases:\n" + (cases.rstrip("\n") + "\n") * repeats
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "orders.test.yaml"
        path.write_text(text)
        rates, walls, total = [], [], 0
        for _ in range(a.runs):
            t0 = time.perf_counter()
            r = subprocess.run([binary, "test", str(path)], capture_output=True, text=True)
            walls.append(time.perf_counter() - t0)
            assert r.returncode == 0, r.stdout + r.stderr
            m = re.search(r"(\d+) cases in ([\d.]+) s \((\d+) cases/s\)", r.stdout)
            total = int(m.group(1))
            rates.append(int(m.group(3)))
    print(f"asl test: {total} cases of the orders workflow (mocked), {a.runs} runs, "
          f"{os.cpu_count()} cores: best {max(rates)} cases/s, median "
          f"{statistics.median(rates):.0f} cases/s (all: {rates}); counting the whole "
          f"process (start, reading and checking the file, running, the summary): median "
          f"{total / statistics.median(walls):.0f} cases/s")


if __name__ == "__main__":
    main()
