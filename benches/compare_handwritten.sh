#!/usr/bin/env bash
# End-to-end comparison: `asl run` on the Map benchmark workflow against the hand-written
# Rust program that computes the same output (benches/handwritten/main.rs).
#
# Usage: benches/compare_handwritten.sh [N] [R]
#   N  items in the input (default 1000000)
#   R  alternating pairs of runs (default 9): hand-written, engine, hand-written, ...
#
# Builds release, generates the input with datasets/gen_map_input.py into a temp dir,
# times each run's wall clock (process start to exit, input parsing and output writing
# included) and its peak RSS (benches/run_pairs.py, from wait4's ru_maxrss), checks the
# outputs are byte-identical, and prints the median, minimum and maximum of both for each
# program and of the engine/hand-written ratios per pair. Exits non-zero when a program
# fails or the outputs differ. Extra engine flags can be passed in ASL_FLAGS (e.g.
# ASL_FLAGS="--threads 2").
#
set -euo pipefail

N="${1:-1000000}"
R="${2:-9}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

echo "== building (release)" >&2
cargo build --release --bin asl --example handwritten >&2

TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
INPUT="$TMP/input.json"
echo "== generating $N items" >&2
python3 datasets/gen_map_input.py "$N" "$INPUT"
echo "   $(stat -c %s "$INPUT") bytes" >&2

HW=(target/release/examples/handwritten "$INPUT")
# shellcheck disable=SC2206
ENGINE=(target/release/asl run datasets/map/workflow.asl.json --input "$INPUT" --quiet ${ASL_FLAGS:-})

echo "== $R alternating pairs (hand-written, engine)" >&2
python3 benches/run_pairs.py "$R" "$TMP" handwritten "${HW[@]}" -- engine "${ENGINE[@]}" >"$TMP/summary.txt"

if ! cmp -s "$TMP/handwritten.out" "$TMP/engine.out"; then
    echo "FAIL: the outputs differ" >&2
    cmp "$TMP/handwritten.out" "$TMP/engine.out" >&2 || true
    python3 - "$TMP/handwritten.out" "$TMP/engine.out" >&2 <<'PY' || true
import json, sys
h, e = (json.load(open(p)) for p in sys.argv[1:3])
if not isinstance(e, list) or len(h) != len(e):
    print(f"  shape: hand-written {type(h).__name__}[{len(h)}], engine {type(e).__name__}[{len(e) if isinstance(e, list) else '-'}]")
for i, (a, b) in enumerate(zip(h, e)):
    if json.dumps(a) != json.dumps(b):
        print(f"  first differing item {i}:\n    hand-written: {json.dumps(a)}\n    engine:       {json.dumps(b)}")
        break
PY
    exit 1
fi
echo "== outputs identical ($(stat -c %s "$TMP/engine.out") bytes)" >&2

echo
echo "items: $N, input: $(stat -c %s "$INPUT") bytes, pairs: $R, cores: $(nproc)"
cat "$TMP/summary.txt"
