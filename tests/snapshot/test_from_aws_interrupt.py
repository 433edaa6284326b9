"""Ctrl-C during ``rootwatch snapshot from-aws`` against an endpoint that accepts connections and
never answers: the command exits 130 at once (not when every stuck read has timed out and been
retried), leaving no file behind. Run in a subprocess, since the signal and the process exit are
what is tested."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

boto3 = pytest.importorskip("boto3")

STARTUP_LIMIT = 60.0
"""Seconds for the child to import boto3 and make its first call (generous for a loaded machine)."""
EXIT_LIMIT = 20.0
"""Seconds from SIGINT to exit; before the fix it took minutes (60 s reads, six attempts)."""

_CHILD = (
    # Python keeps an inherited SIG_IGN for SIGINT (a background job of a non-interactive shell
    # gets one); restore KeyboardInterrupt so the test does not depend on how pytest was started.
    "import signal, sys; signal.signal(signal.SIGINT, signal.default_int_handler)\n"
    "from rootwatch.cli.main import main\n"
    "raise SystemExit(main(sys.argv[1:]))\n"
)


class SilentServer:
    """Accepts TCP connections on 127.0.0.1 and never answers; counts the connections."""

    def __init__(self) -> None:
        self._socket = socket.socket()
        self._socket.bind(("127.0.0.1", 0))
        self._socket.listen(64)
        self._socket.settimeout(0.2)
        self.port = self._socket.getsockname()[1]
        self.accepted = threading.Event()
        self._held: list[socket.socket] = []
        self._closing = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._closing.is_set():
            try:
                connection, _ = self._socket.accept()
            except OSError:  # the timeout: look at _closing again
                continue
            self._held.append(connection)  # held open, never read from or written to
            self.accepted.set()

    def close(self) -> None:
        self._closing.set()
        self._thread.join(timeout=5)
        for connection in self._held:
            connection.close()
        self._socket.close()


@pytest.fixture()
def silent_server() -> Iterator[SilentServer]:
    server = SilentServer()
    try:
        yield server
    finally:
        server.close()


def _environment(tmp_path: Path) -> dict[str, str]:
    """Fake credentials and no AWS configuration: nothing can reach anything but the test server."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_DEFAULT_REGION="us-east-1",
        AWS_CONFIG_FILE=str(tmp_path / "no-config"),
        AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "no-credentials"),
        AWS_EC2_METADATA_DISABLED="true",
    )
    return env


@pytest.mark.parametrize(
    "extra",
    [
        pytest.param((), id="worker-thread-read"),  # the account is read in a worker thread
        pytest.param(("--organization", "--role-name", "Audit"), id="main-thread-read"),  # the organization is listed first
    ],
)
def test_interrupt_exits_130_promptly_and_leaves_no_file(silent_server: SilentServer, tmp_path: Path, extra: tuple[str, ...]) -> None:
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    command = [
        sys.executable, "-c", _CHILD, "snapshot", "from-aws", "--no-progress",
        "--endpoint-url", f"http://127.0.0.1:{silent_server.port}", "--region", "us-east-1", *extra,
        "-o", str(out_dir / "org.duckdb"),
    ]  # fmt: skip
    child = subprocess.Popen(command, env=_environment(tmp_path), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        # SIGINT once a call is stuck waiting for an answer (the case that used to hang).
        assert silent_server.accepted.wait(STARTUP_LIMIT), "the child never called the endpoint"
        time.sleep(0.5)
        assert child.poll() is None, child.communicate()
        child.send_signal(signal.SIGINT)
        started = time.monotonic()
        _, err = child.communicate(timeout=EXIT_LIMIT)
        elapsed = time.monotonic() - started
    finally:
        if child.poll() is None:
            child.kill()
            child.communicate()
    assert child.returncode == 130, err
    assert "rootwatch: interrupted" in err and "Traceback" not in err, err
    assert elapsed < EXIT_LIMIT
    assert list(out_dir.iterdir()) == [], "no snapshot and no temporary file"


def test_a_stopped_capture_ends_its_calls_before_sending() -> None:
    """In-process, abandoned workers stop at their next call or retry instead of reading on."""
    from rootwatch.snapshot.from_aws_account import CaptureStopped, ReadSettings, client

    settings = ReadSettings(endpoint_url="http://127.0.0.1:9")
    session = boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1")
    sts = client(session, "sts", "us-east-1", settings)
    settings.stop.set()
    started = time.monotonic()
    with pytest.raises(CaptureStopped):
        sts.get_caller_identity()
    assert time.monotonic() - started < 1.0
