#!/usr/bin/env bash
# Creates .venv with the real AWS clients (boto3, aws CLI, pytest) that
# tests/clients.rs drives against `asl serve`, installs the npm packages of
# tests/clients/js and, where missing, Debian's graphviz and chromium. Idempotent:
# does nothing when all are there and .venv matches tests/clients/requirements.txt.
#   bash tests/setup.sh && cargo test --release
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

# Debian packages the tests use where present: Graphviz's `dot` checks the DOT of
# `asl graph`, Chromium and chromedriver drive the browser tests. Installed only
# when missing (apt-get update first); without them those tests skip with a NOTICE.
apt_want=()
command -v dot >/dev/null || apt_want+=(graphviz)
command -v chromium >/dev/null || apt_want+=(chromium)
command -v chromedriver >/dev/null || apt_want+=(chromium-driver)
if (( ${#apt_want[@]} )); then
    apt=(env DEBIAN_FRONTEND=noninteractive apt-get)
    if [[ "$(id -u)" != 0 ]] && command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
        apt=(sudo -n "${apt[@]}")
    fi
    if ! command -v apt-get >/dev/null; then
        echo "tests/setup.sh: NOTICE: apt-get not found; ${apt_want[*]} not installed (tests that need them will be skipped)" >&2
    else
        echo "tests/setup.sh: apt-get install ${apt_want[*]}" >&2
        if ! { "${apt[@]}" update -qq && "${apt[@]}" install -y -qq "${apt_want[@]}" >/dev/null; }; then
            echo "tests/setup.sh: NOTICE: apt-get install ${apt_want[*]} failed (tests that need them will be skipped)" >&2
        fi
    fi
fi

# The AWS SDK for JavaScript v3 and Mermaid's parser (with jsdom), pinned by the lock
# file (skipped without npm).
JS=tests/clients/js
if command -v npm >/dev/null; then
    js_want="$(sha256sum "$JS/package-lock.json" | cut -d' ' -f1)"
    if [[ ! -f "$JS/node_modules/.lock-stamp" || "$(cat "$JS/node_modules/.lock-stamp")" != "$js_want" ]]; then
        echo "tests/setup.sh: npm ci in $JS" >&2
        (cd "$JS" && npm ci --no-audit --no-fund --loglevel=error)
        printf '%s\n' "$js_want" > "$JS/node_modules/.lock-stamp"
    fi
else
    echo "tests/setup.sh: NOTICE: npm not found; the JavaScript SDK and Mermaid tests will be skipped" >&2
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
