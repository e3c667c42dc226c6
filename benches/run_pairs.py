#!/usr/bin/env python3
"""Runs two programs in alternating pairs and reports wall time and peak RSS of each.

Usage: run_pairs.py PAIRS OUT_DIR NAME_A CMD_A -- NAME_B CMD_B

Each run's stdout goes to OUT_DIR/NAME.out (the last run's is kept), stderr to
OUT_DIR/NAME.err. Wall time is measured from fork to exit; peak RSS is the child's
ru_maxrss from wait4 (the kernel's own count, in KiB). Prints, per program, the median,
minimum and maximum of both, the max/min spread, and the per-pair ratios B/A (median,
minimum, maximum). It also prints the CPU time each run spent in the program itself
(user) and in the kernel on its behalf (system: on a virtual machine mostly clearing
fresh pages), from the same wait4, so a slow run can be told apart: the program did more
work, or the kernel took longer for the same work. Writes OUT_DIR/pairs.json with every
run. Exits 1 when a run fails.
"""
import json
import os
import statistics
import sys
import time


def run(cmd, out_path, err_path):
    with open(out_path, "wb") as out, open(err_path, "wb") as err:
        t0 = time.perf_counter()
        pid = os.fork()
        if pid == 0:
            os.dup2(out.fileno(), 1)
            os.dup2(err.fileno(), 2)
            try:
                os.execvp(cmd[0], cmd)
            finally:
                os._exit(127)
        _, status, usage = os.wait4(pid, 0)
        wall = time.perf_counter() - t0
    code = os.waitstatus_to_exitcode(status)
    return code, wall, usage.ru_maxrss / 1024.0, usage.ru_utime, usage.ru_stime  # MiB, s


def summary(values):
    return statistics.median(values), min(values), max(values)


def main():
    args = sys.argv[1:]
    pairs, out_dir = int(args[0]), args[1]
    sep = args.index("--")
    name_a, cmd_a = args[2], args[3:sep]
    name_b, cmd_b = args[sep + 1], args[sep + 2:]
    runs = {name_a: [], name_b: []}
    for i in range(pairs):
        for name, cmd in ((name_a, cmd_a), (name_b, cmd_b)):
            code, wall, rss, user, system = run(
                cmd, f"{out_dir}/{name}.out", f"{out_dir}/{name}.err")
            if code != 0:
                sys.stderr.write(f"FAIL: {name} exited {code}: {' '.join(cmd)}\n")
                sys.stderr.write(open(f"{out_dir}/{name}.err", errors="replace").read())
                return 1
            runs[name].append({"wall_s": wall, "peak_rss_mib": rss, "user_s": user,
                               "system_s": system})
            sys.stderr.write(f"   pair {i + 1}/{pairs} {name}: {wall:.3f} s, {rss:.0f} MiB, "
                             f"user {user:.3f} s, system {system:.3f} s\n")
    json.dump(runs, open(f"{out_dir}/pairs.json", "w"), indent=1)
    # Two tables of the same shape: wall time and peak RSS, then user and system time.
    for title, first, second, unit, places in (
            (("program", "median s", "min s", "max s"), "wall_s", "peak_rss_mib",
             ("median MiB", "min MiB", "max MiB"), 0),
            (("CPU time", "user med", "min", "max"), "user_s", "system_s",
             ("system med", "min", "max"), 3)):
        print(f"{title[0]:<14} {title[1]:>9} {title[2]:>8} {title[3]:>8} {'max/min':>8} "
              f"{unit[0]:>11} {unit[1]:>8} {unit[2]:>8}")
        for name in (name_a, name_b):
            t = summary([r[first] for r in runs[name]])
            m = summary([r[second] for r in runs[name]])
            print(f"{name:<14} {t[0]:>9.3f} {t[1]:>8.3f} {t[2]:>8.3f} {t[2] / t[1]:>8.2f} "
                  f"{m[0]:>11.{places}f} {m[1]:>8.{places}f} {m[2]:>8.{places}f}")
    for what, key in (("time", "wall_s"), ("peak RSS", "peak_rss_mib")):
        ratios = [b[key] / a[key] for a, b in zip(runs[name_a], runs[name_b])]
        med, lo, hi = summary(ratios)
        print(f"{name_b}/{name_a} {what} per pair: median {med:.2f}x, min {lo:.2f}x, max {hi:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
