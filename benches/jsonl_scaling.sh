#!/usr/bin/env bash
# Example (b) of datasets/logs (classify.asl.json: a Map over a JSONL log, Choice + Pass
# per line, results written as JSONL) on 1 and on 2 threads.
#
#   benches/jsonl_scaling.sh [LINES] [RUNS]      (defaults 1000000 and 7)
#
# Builds target/release/asl, generates LINES access-log lines as JSONL (seed 42) in a
# temporary folder, then runs `asl run --threads 1` and `--threads 2` RUNS times each,
# alternating (so that both see the same machine), timing each with /usr/bin/time.
# Checks that the two result files are byte-identical, then prints every time, the median
# and minimum of each, and the speed-up of 2 threads over 1 (medians, minimums).
#
# The result files (about as large as the input) go to the temporary folder, or to
# OUT_DIR when set: OUT_DIR=/dev/shm keeps the disk out of the measurement (writing a
# quarter of a gigabyte back to disk takes kernel CPU time that, on a 2-core machine,
# competes with the second thread).
set -euo pipefail
cd "$(dirname "$0")/.."
LINES=${1:-1000000}
RUNS=${2:-7}

cargo build --release -q
ASL=target/release/asl
TMP=$(mktemp -d)
OUT=$(mktemp -d "${OUT_DIR:-$TMP}/asl-jsonl-out.XXXXXX")
trap 'rm -rf "$TMP" "$OUT"' EXIT
"$ASL" datasets logs --rows "$LINES" --format jsonl --seed 42 --out "$TMP/logs" >/dev/null 2>&1
echo "$LINES lines, $(du -h "$TMP/logs/access.jsonl" | cut -f1), $RUNS runs per pool size"

: >"$TMP/times"
for _ in $(seq "$RUNS"); do
	for t in 1 2; do
		rm -rf "$OUT/$t"
		mkdir "$OUT/$t"
		/usr/bin/time -f "$t %e" -a -o "$TMP/times" "$ASL" run datasets/logs/classify.asl.json \
			--quiet --threads "$t" --bucket logs="$TMP/logs" --bucket out="$OUT/$t" >/dev/null
	done
done
if ! cmp -s "$OUT"/1/classify/*/SUCCEEDED_0.jsonl "$OUT"/2/classify/*/SUCCEEDED_0.jsonl; then
	echo "the results of 1 and 2 threads differ" >&2
	exit 1
fi
python3 - "$TMP/times" <<'PY'
import statistics, sys
runs = {}
for line in open(sys.argv[1]):
    t, s = line.split()
    runs.setdefault(t, []).append(float(s))
one, two = runs["1"], runs["2"]
for t, r in (("1 thread ", one), ("2 threads", two)):
    print(f"{t}: {' '.join(f'{x:.2f}' for x in sorted(r))} s  median {statistics.median(r):.2f} s, min {min(r):.2f} s")
print(f"speed-up of 2 threads: {statistics.median(one) / statistics.median(two):.2f}x (medians), "
      f"{min(one) / min(two):.2f}x (minimums)")
PY
