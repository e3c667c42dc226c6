#!/usr/bin/env bash
# End-to-end comparison: `asl run` on the Map benchmark workflow against the hand-written
# Rust program that computes the same output (benches/handwritten/main.rs).
#
# Usage: benches/compare_handwritten.sh [N] [R]
#   N  items in the input (default 1000000)
#   R  runs of each program (default 3), alternating hand-written, engine, ...
#
# Builds release, generates the input with datasets/gen_map_input.py into a temp dir,
# times each run's wall clock (process start to exit, input parsing and output writing
# included), checks the outputs are byte-identical, and prints median seconds, items/s
# and the engine/hand-written ratio (target: <= 1.3x). Exits non-zero when a program
# fails or the outputs differ. Extra engine flags can be passed in ASL_FLAGS (e.g.
# ASL_FLAGS="--threads 2").
#
set -euo pipefail

N="${1:-1000000}"
R="${2:-3}"
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

now() { date +%s.%N; }

# run NAME OUT CMD...: runs CMD with stdout to OUT, appends its wall seconds to $TMP/NAME.times
run() {
    local name="$1" out="$2"
    shift 2
    local t0 t1 rc=0
    t0="$(now)"
    "$@" >"$out" 2>"$TMP/$name.err" || rc=$?
    t1="$(now)"
    if [ "$rc" -ne 0 ]; then
        echo "FAIL: $name exited $rc: $*" >&2
        sed 's/^/  | /' "$TMP/$name.err" >&2
        exit 1
    fi
    echo "$t0 $t1" | awk '{printf "%.4f\n", $2 - $1}' >>"$TMP/$name.times"
    echo "   $name run: $(tail -1 "$TMP/$name.times") s" >&2
}

for i in $(seq 1 "$R"); do
    run handwritten "$TMP/handwritten.out" "${HW[@]}"
    run engine "$TMP/engine.out" "${ENGINE[@]}"
done

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

median() { sort -n "$1" | awk '{v[NR]=$1} END {if (NR % 2) print v[(NR+1)/2]; else printf "%.4f\n", (v[NR/2]+v[NR/2+1])/2}'; }
minimum() { sort -n "$1" | head -1; }
HW_MED="$(median "$TMP/handwritten.times")"
EN_MED="$(median "$TMP/engine.times")"
HW_MIN="$(minimum "$TMP/handwritten.times")"
EN_MIN="$(minimum "$TMP/engine.times")"

# On a shared machine a run sometimes spends seconds in the kernel faulting memory in
# (both programs alike); the minimum is the steadier statistic, the median the one the
# target names. Both ratios are printed.
echo
echo "items: $N, runs: $R each, cores: $(nproc)"
awk -v n="$N" -v h="$HW_MED" -v e="$EN_MED" -v hm="$HW_MIN" -v em="$EN_MIN" 'BEGIN {
    printf "%-14s %10s %10s %14s\n", "program", "median s", "min s", "items/s (med)"
    printf "%-14s %10.4f %10.4f %14.0f\n", "hand-written", h, hm, (h > 0 ? n / h : 0)
    printf "%-14s %10.4f %10.4f %14.0f\n", "asl run", e, em, (e > 0 ? n / e : 0)
    r = (h > 0 ? e / h : 0)
    rm = (hm > 0 ? em / hm : 0)
    printf "\nengine/hand-written: median %.2fx, min %.2fx (target <= 1.3x): %s\n", r, rm, (r <= 1.3 ? "within target" : "OVER target")
}'
