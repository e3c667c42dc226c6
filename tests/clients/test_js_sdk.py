"""The AWS SDK for JavaScript v3 (@aws-sdk/client-sfn, pinned in js/package-lock.json)
runs a short lifecycle against the real server: another SDK family's protocol details
(its JSON and date parsing, its error mapping) beside boto3's and the aws CLI's.
tests/setup.sh installs it with `npm ci`; without node it is skipped with a notice."""
import os
import pathlib
import shutil
import subprocess

import pytest

JS = pathlib.Path(__file__).parent / "js"


def test_js_sdk_lifecycle(server):
    node = shutil.which("node")
    if node is None or not (JS / "node_modules" / "@aws-sdk" / "client-sfn").is_dir():
        pytest.skip("NOTICE: node or tests/clients/js/node_modules missing (run bash tests/setup.sh)")
    env = dict(os.environ, ASL_ENDPOINT=server.url, NODE_NO_WARNINGS="1")
    done = subprocess.run([node, str(JS / "lifecycle.mjs")], env=env, cwd=JS,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "lifecycle ok" in done.stdout
