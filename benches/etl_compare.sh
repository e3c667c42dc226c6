#!/usr/bin/env bash
# Example (a) of datasets/logs (etl.asl.json) against DuckDB and Polars on the same data.
#
#   benches/etl_compare.sh [ROWS]        (default 10000000)
#
# 1. builds target/release/asl and generates ROWS access-log rows as Parquet
#    (`asl datasets logs --format parquet`, seed 42) in a temporary folder;
# 2. creates a venv there and pip-installs duckdb and polars (without pip or a network
#    it says so and exits 0); ETL_VENV=DIR reuses a venv that has both;
# 3. runs the query three times, each writing Parquet:
#      DuckDB  COPY (SELECT *, latency_ms > 1000 AS slow, substr(timestamp, 1, 16) AS minute
#                    FROM read_parquet(..) WHERE status >= 500 OR latency_ms > 1000) TO .. (FORMAT PARQUET)
#      Polars  scan_parquet -> filter -> with_columns -> sink_parquet
#      engine  asl run datasets/logs/etl.asl.json --bucket logs=.. --bucket out=..
#    timing each with /usr/bin/time -f '%e %M' (wall seconds, peak RSS);
# 4. reads every output back with DuckDB (row count, sum of bytes, count of slow, sum of
#    latency_ms, distinct minutes, first and last timestamp) and checks they are equal;
# 5. prints: tool, wall s, rows/s (input rows), peak MiB, wall time as a ratio to DuckDB's.
#
# A tool that fails is reported as "failed (see log: FILE)", FILE being
# ${TMPDIR:-/tmp}/asl-etl-TOOL.log (the temp folder itself is removed unless ETL_KEEP=1);
# the others are still measured. Exit 1 when two
# outputs disagree or the build/generation fails, else 0.
set -u

ROWS=${1:-10000000}
case "$ROWS" in
'' | *[!0-9]*)
	echo "usage: $0 [ROWS]" >&2
	exit 2
	;;
esac
ROOT=$(cd "$(dirname "$0")/.." && pwd)
ETL=$ROOT/benches/etl
WORK=$(mktemp -d "${TMPDIR:-/tmp}/asl-etl-XXXXXX")
if [ "${ETL_KEEP:-0}" = 1 ]; then
	echo "work folder (kept): $WORK"
else
	trap 'rm -rf "$WORK"' EXIT
fi

skip() {
	echo "etl_compare: skipped: $1"
	exit 0
}

# --- Python with duckdb and polars -------------------------------------------------------
if [ -n "${ETL_VENV:-}" ]; then
	PY=$ETL_VENV/bin/python
else
	command -v python3 >/dev/null || skip "python3 is not installed"
	python3 -m venv "$WORK/venv" >"$WORK/venv.log" 2>&1 || skip "python3 -m venv failed (see python3-venv)"
	PY=$WORK/venv/bin/python
	echo "installing duckdb and polars into a temporary venv..."
	"$PY" -m pip install -q duckdb polars >>"$WORK/venv.log" 2>&1 ||
		skip "pip install duckdb polars failed (no network or no pip?): $(tail -1 "$WORK/venv.log")"
fi
"$PY" -c 'import duckdb, polars' 2>/dev/null || skip "duckdb or polars cannot be imported by $PY"

# --- build and generate ------------------------------------------------------------------
(cd "$ROOT" && cargo build --release --quiet --bin asl) || {
	echo "etl_compare: cargo build --release failed" >&2
	exit 1
}
ASL=${CARGO_TARGET_DIR:-$ROOT/target}/release/asl

if [ -x /usr/bin/time ]; then
	timed() { /usr/bin/time -f '%e %M' -o "$@"; }
else
	timed() { "$PY" "$ETL/timeit.py" "$@"; }
fi

# measure NAME CMD...: runs CMD with its output in $WORK/NAME.log; sets WALL and PEAK_MIB.
measure() {
	local name=$1
	shift
	if timed "$WORK/$name.time" "$@" >"$WORK/$name.log" 2>&1; then
		read -r WALL PEAK_KIB <"$WORK/$name.time"
		PEAK_MIB=$(awk -v k="$PEAK_KIB" 'BEGIN { printf "%.0f", k / 1024 }')
		return 0
	fi
	return 1
}

echo "generating $ROWS rows of Parquet..."
measure gen "$ASL" datasets logs --rows "$ROWS" --format parquet --seed 42 --out "$WORK/logs" || {
	echo "etl_compare: asl datasets logs failed:" >&2
	cat "$WORK/gen.log" >&2
	exit 1
}
INPUT=$WORK/logs/access.parquet
echo "generated in ${WALL} s (peak ${PEAK_MIB} MiB), $(du -h "$INPUT" | cut -f1) of Parquet"

# --- run ---------------------------------------------------------------------------------
declare -A T M C
TOOLS=(duckdb polars engine)
run_tool() {
	local tool=$1
	shift
	echo "running $tool..."
	if measure "$tool" "$@"; then
		T[$tool]=$WALL
		M[$tool]=$PEAK_MIB
	else
		T[$tool]=failed
	fi
}
run_tool duckdb "$PY" "$ETL/duckdb_etl.py" "$INPUT" "$WORK/duckdb.parquet"
run_tool polars "$PY" "$ETL/polars_etl.py" "$INPUT" "$WORK/polars.parquet"
mkdir -p "$WORK/out"
run_tool engine "$ASL" run "$ROOT/datasets/logs/etl.asl.json" --quiet \
	--bucket logs="$WORK/logs" --bucket out="$WORK/out"

# --- check -------------------------------------------------------------------------------
outputs() {
	case $1 in
	engine) find "$WORK/out" -name '*.parquet' ! -name 'FAILED*' ! -name 'PENDING*' -type f | sort ;;
	*) echo "$WORK/$1.parquet" ;;
	esac
}
STATUS=0
for tool in "${TOOLS[@]}"; do
	[ "${T[$tool]}" = failed ] && continue
	mapfile -t files < <(outputs "$tool")
	C[$tool]=$("$PY" "$ETL/check.py" "${files[@]}" 2>"$WORK/check-$tool.log") || C[$tool]="unreadable output"
done

echo
echo "query: status >= 500 OR latency_ms > 1000, + slow, minute; $ROWS input rows ($(nproc) cores)"
printf '%-8s %8s %14s %9s %9s  %s\n' tool "wall s" "rows/s" "peak MiB" "vs DuckDB" "output"
for tool in "${TOOLS[@]}"; do
	if [ "${T[$tool]}" = failed ]; then
		log=$WORK/$tool.log
		if [ "${ETL_KEEP:-0}" != 1 ]; then
			log=${TMPDIR:-/tmp}/asl-etl-$tool.log
			cp "$WORK/$tool.log" "$log"
		fi
		printf '%s: failed (see log: %s)\n' "$tool" "$log"
		[ "$tool" = engine ] && sed -n '1,3p' "$WORK/engine.log" | sed 's/^/         | /'
		continue
	fi
	check=${C[$tool]}
	verdict=ok
	if [ "${T[duckdb]}" != failed ] && [ "$check" != "${C[duckdb]}" ]; then
		verdict=MISMATCH
		STATUS=1
	fi
	awk -v tool="$tool" -v w="${T[$tool]}" -v m="${M[$tool]}" -v d="${T[duckdb]}" -v n="$ROWS" \
		-v rows="${check%% *}" -v verdict="$verdict" 'BEGIN {
			rps = w > 0 ? sprintf("%.0f", n / w) : "inf"
			ratio = (d != "failed" && d > 0) ? sprintf("%.2fx", w / d) : "-"
			printf "%-8s %8.2f %14s %9s %9s  %s %s\n", tool, w, rps, m, ratio, rows, verdict
		}'
done
echo
for tool in "${TOOLS[@]}"; do
	[ "${T[$tool]}" = failed ] || echo "$tool: ${C[$tool]}"
done
exit $STATUS
