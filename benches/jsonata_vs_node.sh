#!/usr/bin/env bash
# JSONata evaluations per second: the engine's adapter (jsonata-core, through
# asl_engine::jsonata, serde_json::Value in and out) against the reference
# implementation, jsonata-js 2.0.6 (the version Step Functions runs) on Node.
#
# Same expressions, same document (the reference suite's dataset5, as embedded in
# benches/jsonata_eval.rs). Both sides parse once and then time evaluations only, one
# thread, after a warm-up. Node's jsonata `evaluate` is async; it is awaited per call.
#
# Usage: benches/jsonata_vs_node.sh [SECONDS_PER_EXPRESSION]   (default 2)
# Needs npm (and network access to the npm registry) for the Node side; without npm it
# reports the engine only.
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_PER=${1:-2}

echo "== engine (cargo bench --bench jsonata_eval, plain mode, ${SECONDS_PER}s each)"
ENGINE=$(ASL_JSONATA_PLAIN="$SECONDS_PER" cargo bench -q --bench jsonata_eval 2>/dev/null | grep -v '^#' || true)
if [ -z "$ENGINE" ]; then
    echo "the engine bench did not run" >&2
    exit 1
fi

if ! command -v npm >/dev/null 2>&1 || ! command -v node >/dev/null 2>&1; then
    echo "npm/node not found: Node side skipped"
    echo "$ENGINE" | awk '{printf "%-8s engine %12.0f evals/s\n", $1, $2}'
    exit 0
fi

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
echo "== node: npm install jsonata@2.0.6 into $TMP"
if ! (cd "$TMP" && npm init -y >/dev/null && npm install --silent --no-audit --no-fund jsonata@2.0.6 >/dev/null 2>&1); then
    echo "npm install failed (no registry access?): Node side skipped"
    echo "$ENGINE" | awk '{printf "%-8s engine %12.0f evals/s\n", $1, $2}'
    exit 0
fi

# The expressions and the document, taken from the Rust bench so both sides agree.
ASL_JSONATA_DUMP=1 cargo bench -q --bench jsonata_eval 2>/dev/null > "$TMP/cases.json"

cat > "$TMP/bench.js" <<'JS'
const jsonata = require('jsonata');
const { exprs, doc } = require('./cases.json');
const seconds = parseFloat(process.argv[2]);
(async () => {
  for (const [name, src] of exprs) {
    const e = jsonata(src);
    for (let i = 0; i < 1000; i++) await e.evaluate(doc);
    const limit = seconds * 1e9, start = process.hrtime.bigint();
    let n = 0;
    while (Number(process.hrtime.bigint() - start) < limit) {
      for (let i = 0; i < 100; i++) await e.evaluate(doc);
      n += 100;
    }
    const el = Number(process.hrtime.bigint() - start) / 1e9;
    console.log(name + ' ' + (n / el).toFixed(0));
  }
})();
JS
echo "== node $(node --version), jsonata $(node -e "console.log(require('$TMP/node_modules/jsonata/package.json').version)")"
NODE=$(cd "$TMP" && node bench.js "$SECONDS_PER")

printf "%-8s %14s %14s %8s\n" expr "engine/s" "node/s" ratio
join <(echo "$ENGINE" | sort) <(echo "$NODE" | sort) | while read -r name e n; do
    awk -v name="$name" -v e="$e" -v n="$n" 'BEGIN { printf "%-8s %14.0f %14.0f %7.1fx\n", name, e, n, e / n }'
done
