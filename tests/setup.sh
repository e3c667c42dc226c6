#!/usr/bin/env bash
# Creates .venv with the real AWS clients (boto3, aws CLI, pytest) that
# tests/clients.rs drives against `asl serve`. Idempotent: does nothing when
# .venv already matches tests/clients/requirements.txt.
#   bash tests/setup.sh && cargo test --release
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

# The AWS SDK for JavaScript v3, pinned by its lock file (skipped without npm).
JS=tests/clients/js
if command -v npm >/dev/null; then
    js_want="$(sha256sum "$JS/package-lock.json" | cut -d' ' -f1)"
    if [[ ! -f "$JS/node_modules/.lock-stamp" || "$(cat "$JS/node_modules/.lock-stamp")" != "$js_want" ]]; then
        echo "tests/setup.sh: npm ci in $JS" >&2
        (cd "$JS" && npm ci --no-audit --no-fund --loglevel=error)
        printf '%s\n' "$js_want" > "$JS/node_modules/.lock-stamp"
    fi
else
    echo "tests/setup.sh: NOTICE: npm not found; the JavaScript SDK test will be skipped" >&2
fi

PYTHON="${PYTHON:-python3}"
VENV=.venv
REQS=tests/clients/requirements.txt
STAMP="$VENV/.requirements-stamp"

want="$(sha256sum "$REQS" | cut -d' ' -f1) $("$PYTHON" -c 'import sys; print(sys.version.split()[0])')"

if [[ -x "$VENV/bin/python" && -f "$STAMP" && "$(cat "$STAMP")" == "$want" ]] \
    && "$VENV/bin/python" -c 'import boto3, pytest' 2>/dev/null; then
    exit 0
fi

echo "tests/setup.sh: creating $VENV from $REQS" >&2
rm -rf "$VENV"
"$PYTHON" -m venv "$VENV"
if ! "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r "$REQS"; then
    rm -rf "$VENV"
    echo "tests/setup.sh: pip install failed; $VENV removed" >&2
    exit 1
fi
printf '%s\n' "$want" > "$STAMP"
echo "tests/setup.sh: $VENV ready" >&2
