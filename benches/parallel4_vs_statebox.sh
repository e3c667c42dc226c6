#!/usr/bin/env bash
# The `parallel4` workload (a Parallel of 4 branches of 4 Pass states, written by
# ../shared/peers/make_workloads.py) on this engine (`asl bench`, one and two threads)
# and on @wmfs/statebox (Node, through ../shared/peers/bench.py, which also checks its
# output against the expected result), in one command, with the ratio of the best
# per-execution times.
#
# Usage: benches/parallel4_vs_statebox.sh [RUNS]   (default 2000 executions a side)
# Needs npm (the npm registry) for statebox; without it, reports the engine only.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-2000}
ASL_RUNS=${ASL_RUNS:-20000}
PEERS=${PEERS_DIR:-../shared/peers}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

python3 "$PEERS/make_workloads.py" --no-parquet --map-sizes 1000 --out "$TMP/workloads" >/dev/null
WL="$TMP/workloads"

cargo build --release -q --bin asl
echo "== asl bench parallel4 ($ASL_RUNS runs per thread count)"
./target/release/asl bench "$WL/parallel4.asl.json" --input "$WL/parallel4.input.json" \
    --threads 1,2 --runs "$ASL_RUNS" --format json > "$TMP/asl.json"
cat "$TMP/asl.json"

if ! command -v npm >/dev/null 2>&1; then
    echo "npm not found: statebox skipped"
    exit 0
fi
echo "== statebox: npm install @wmfs/statebox into $TMP/node"
mkdir -p "$TMP/node"
if ! (cd "$TMP/node" && npm init -y >/dev/null && npm install --silent --no-audit --no-fund @wmfs/statebox >/dev/null 2>&1); then
    echo "npm install failed (no registry access?): statebox skipped"
    exit 0
fi
PEERS_NODE_MODULES="$TMP/node/node_modules" python3 "$PEERS/bench.py" --workloads "$WL" \
    --peers statebox,statebox-strict --cases parallel4 --repeat "parallel4=$RUNS" \
    --logs "$TMP/logs" --json "$TMP/peers.jsonl" >/dev/null

python3 - "$TMP/asl.json" "$TMP/peers.jsonl" <<'EOF'
import json, sys
asl = json.load(open(sys.argv[1]))
rows = asl["results"]
best = min(r["min_ms"] for r in rows) / 1000.0
print("| engine | best s per execution | executions/s | correct | ratio to asl |")
print("|---|---|---|---|---|")
print("| asl (best of threads %s) | %.7f | %.0f | yes (bench checks SUCCEEDED) | 1 |"
      % ([r["threads"] for r in rows], best, 1 / best))
for line in open(sys.argv[2]):
    r = json.loads(line)
    b = r.get("best_s")
    if not b:
        print("| %s | - | - | %s | - |" % (r["peer"], r.get("status")))
        continue
    print("| %s %s | %.7f | %.0f | %s | asl %.0fx faster |"
          % (r["peer"], r.get("version", ""), b, 1 / b, r.get("correct"), b / best))
EOF
