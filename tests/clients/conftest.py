"""Fixtures that run the real `asl serve` binary and point AWS clients at it.

The binary comes from $ASL_BIN (default: target/release/asl under the repo root).
`tests/clients.rs` (cargo test) sets ASL_BIN to the freshly built binary.
"""

import collections
import os
import queue
import re
import subprocess
import threading
import time
from pathlib import Path

import boto3
import pytest
from botocore.config import Config

REPO_ROOT = Path(__file__).resolve().parents[2]
STARTUP_TIMEOUT_S = 30
LISTEN_RE = re.compile(r"listening on (http://127\.0\.0\.1:\d+)")

# Every server started in this session, so failure reports can show their logs.
_SERVERS = []


def asl_bin_path():
    raw = os.environ.get("ASL_BIN", "target/release/asl")
    path = Path(raw)
    return path if path.is_absolute() else REPO_ROOT / path


def client_config():
    return Config(
        # StartSyncExecution has the endpoint host prefix "sync-"; against a
        # local endpoint that would make the host "sync-127.0.0.1".
        inject_host_prefix=False,
        # No retries: the tests must see exactly what the server answered.
        retries={"total_max_attempts": 1, "mode": "standard"},
        connect_timeout=5,
        read_timeout=60,
    )


class AslServer:
    """One `asl serve` process on a fixed db file; can be restarted on that file."""

    def __init__(self, db_path, extra_args=()):
        self.db_path = Path(db_path)
        self.extra_args = list(extra_args)
        self.proc = None
        self.url = None
        self.log = collections.deque(maxlen=300)
        self._threads = []
        _SERVERS.append(self)

    def start(self):
        assert self.proc is None, "server already running"
        binary = asl_bin_path()
        if not binary.is_file():
            pytest.fail(
                f"asl binary not found at {binary} (set ASL_BIN or run "
                "`cargo build --release`)",
                pytrace=False,
            )
        cmd = [str(binary), "serve", "--listen", "127.0.0.1:0", "--db", str(self.db_path),
               *self.extra_args]
        self.log.append(f"$ {' '.join(cmd)}")
        self.proc = subprocess.Popen(
            cmd,
            cwd=REPO_ROOT,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            errors="replace",
            bufsize=1,
        )
        lines = queue.Queue()
        # Drain both pipes for the whole life of the process so they never fill.
        self._threads = [
            threading.Thread(target=self._drain, args=(self.proc.stderr, "stderr", lines), daemon=True),
            threading.Thread(target=self._drain, args=(self.proc.stdout, "stdout", None), daemon=True),
        ]
        for t in self._threads:
            t.start()

        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                self.stop()
                pytest.fail(
                    f"asl serve did not print 'listening on http://...' within "
                    f"{STARTUP_TIMEOUT_S}s; output so far:\n{self.log_text()}",
                    pytrace=False,
                )
            try:
                line = lines.get(timeout=min(remaining, 0.5))
            except queue.Empty:
                continue
            if line is None:  # stderr closed: the process exited
                code = self.proc.wait()
                self.proc = None
                pytest.fail(
                    f"asl serve exited with status {code} before listening; "
                    f"output:\n{self.log_text()}",
                    pytrace=False,
                )
            match = LISTEN_RE.search(line)
            if match:
                self.url = match.group(1)
                return self.url

    def _drain(self, pipe, label, lines):
        try:
            for line in pipe:
                line = line.rstrip("\n")
                self.log.append(f"[{label}] {line}")
                if lines is not None:
                    lines.put(line)
        except (OSError, ValueError):
            pass
        finally:
            if lines is not None:
                lines.put(None)

    def stop(self):
        proc, self.proc = self.proc, None
        self.url = None
        if proc is None:
            return
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)
        for t in self._threads:
            t.join(timeout=5)
        self._threads = []
        self.log.append(f"(exited with status {proc.returncode})")

    def restart(self):
        self.stop()
        return self.start()

    def client(self):
        assert self.url, "server is not running"
        return boto3.client(
            "stepfunctions",
            endpoint_url=self.url,
            region_name="us-east-1",
            aws_access_key_id="test",
            aws_secret_access_key="test",
            config=client_config(),
        )

    def log_text(self):
        return "\n".join(self.log) or "(nothing)"


@pytest.fixture(scope="session", autouse=True)
def _isolate_aws_env(tmp_path_factory):
    """Keep the user's ~/.aws config, profile and env from affecting the clients."""
    empty = tmp_path_factory.mktemp("awsconfig")
    config, creds = empty / "config", empty / "credentials"
    config.write_text("")
    creds.write_text("")
    saved = dict(os.environ)
    for key in list(os.environ):
        if key.startswith("AWS_"):
            del os.environ[key]
    os.environ.update(
        AWS_CONFIG_FILE=str(config),
        AWS_SHARED_CREDENTIALS_FILE=str(creds),
        AWS_ACCESS_KEY_ID="test",
        AWS_SECRET_ACCESS_KEY="test",
        AWS_DEFAULT_REGION="us-east-1",
        AWS_EC2_METADATA_DISABLED="true",
        AWS_DISABLE_HOST_PREFIX_INJECTION="true",
        AWS_MAX_ATTEMPTS="1",
        AWS_RETRY_MODE="standard",
        AWS_PAGER="",
    )
    yield
    os.environ.clear()
    os.environ.update(saved)


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    """One server for the whole session; tests use unique names to stay apart."""
    srv = AslServer(tmp_path_factory.mktemp("asl-shared") / "state.db")
    try:
        srv.start()
        yield srv
    finally:
        srv.stop()


@pytest.fixture(scope="session")
def sfn(server):
    return server.client()


@pytest.fixture
def make_server(tmp_path):
    """Factory for private servers (e.g. restart tests); all stopped at teardown."""
    started = []

    def make(db_path=None, extra_args=()):
        srv = AslServer(db_path or tmp_path / f"state-{len(started)}.db", extra_args)
        started.append(srv)
        srv.start()
        return srv

    yield make
    for srv in started:
        srv.stop()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.failed:
        for i, srv in enumerate(_SERVERS):
            if srv.proc is not None:  # running now (or crashed while in use)
                tail = "\n".join(list(srv.log)[-60:])
                report.sections.append((f"asl server #{i} log (tail)", tail))
    return report
