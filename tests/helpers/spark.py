"""Spark for the tests: one embedded session per test process (``local[2]``), started by the
session-scoped ``spark`` fixture of ``tests/conftest.py`` through rootwatch's own session module,
and a Spark Connect server from the PySpark distribution on loopback.

Tests that need Spark skip with the reason where PySpark or Java is missing, and fail instead under
CI=true (``./dev test`` installs both).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

# Small data, many queries: no code generation, no adaptive re-planning and one shuffle partition
# plan and run a control over a handful of rows several times faster than Spark's defaults.
TEST_CONF = (
    "spark.sql.shuffle.partitions=1",
    "spark.sql.adaptive.enabled=false",
    "spark.sql.codegen.wholeStage=false",
    "spark.sql.codegen.factoryMode=NO_CODEGEN",
    "spark.driver.memory=1g",
)
TEST_MASTER = "local[2]"


def spark_unavailable(reason: str) -> None:
    """Skip (fail under CI=true) a test that needs Spark."""
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"Spark is required under CI=true: {reason}")
    pytest.skip(f"no Spark for the Spark engine tests: {reason}")


def require_spark() -> None:
    """Skip (or fail under CI) unless PySpark and Java are installed."""
    try:
        import pyspark  # noqa: F401
    except ImportError:
        spark_unavailable("PySpark is not installed (pip install 'rootwatch[spark]'; ./dev test installs it)")
    if not (os.environ.get("JAVA_HOME") or shutil.which("java")):
        spark_unavailable("Java is not installed (apt-get install openjdk-17-jre-headless; ./dev test installs it)")


def spark_test_target():  # noqa: ANN201 - a SparkTarget
    from rootwatch.engines.spark_session import parse_target

    return parse_target(TEST_MASTER, TEST_CONF)


def spark_cli_options() -> list[str]:
    """The command-line options that run a command on the tests' embedded Spark."""
    options = ["--spark", TEST_MASTER]
    for setting in TEST_CONF:
        options += ["--spark-conf", setting]
    return options


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def connect_server(scratch: Path, *, timeout: float = 240.0) -> Iterator[str]:
    """A Spark Connect server (``org.apache.spark.sql.connect.service.SparkConnectServer``, which
    PySpark's ``sbin/start-connect-server.sh`` starts) on a free loopback port; yields its
    ``sc://`` URL and stops it afterwards."""
    import pyspark

    home = Path(pyspark.__file__).parent
    port = free_port()
    env = {**os.environ, "SPARK_HOME": str(home), "SPARK_NO_DAEMONIZE": "1", "SPARK_LOG_DIR": str(scratch),
           "SPARK_PID_DIR": str(scratch), "SPARK_LOCAL_IP": "127.0.0.1"}
    command = [str(home / "sbin" / "start-connect-server.sh"), "--master", TEST_MASTER,
               "--conf", f"spark.connect.grpc.binding.port={port}",
               "--conf", "spark.connect.grpc.binding.address=127.0.0.1",
               "--conf", "spark.ui.enabled=false",
               "--conf", f"spark.driver.extraJavaOptions=-Djava.io.tmpdir={scratch}"]
    for setting in TEST_CONF:
        command += ["--conf", setting]
    log = (scratch / "connect-server.log").open("wb")
    server = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + timeout
        while True:
            if server.poll() is not None:
                raise AssertionError(f"the Spark Connect server exited: {(scratch / 'connect-server.log').read_text()[-2000:]}")
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", port)) == 0:
                    break
            if time.monotonic() > deadline:
                raise AssertionError(f"the Spark Connect server did not listen on port {port} within {timeout:g} s")
            time.sleep(0.5)
        yield f"sc://127.0.0.1:{port}"
    finally:
        # The script runs the JVM as a child: signal its whole session (process group), or the
        # server outlives the test run.
        _signal_group(server, signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            _signal_group(server, signal.SIGKILL)
            server.wait()
        _wait_for_group_exit(server.pid, timeout=30)
        log.close()


def _signal_group(process: subprocess.Popen, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signum)


def _wait_for_group_exit(group: int, *, timeout: float) -> None:
    """Wait until no process of ``group`` is left; SIGKILL what remains after ``timeout``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.killpg(group, 0)
        except ProcessLookupError:
            return
        time.sleep(0.2)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(group, signal.SIGKILL)
