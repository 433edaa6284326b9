"""The Spark session rootwatch runs on: embedded (``local[*]``, ``local[N]``) or Spark Connect
(``sc://HOST:PORT``), one per process and reused.

Starting a JVM costs seconds, so the first engine opened in a process starts the session and every
later one (each test case, each command of a long-lived process) reuses it; it stops when the
process exits. An embedded session runs quiet (log4j at WARN, from ``spark_log4j2.properties``)
and keeps its scratch space (shuffle files, warehouse, JVM temp files) in one temporary folder
that is removed afterwards. Every session reads timestamps in UTC, like the other engines.
"""

from __future__ import annotations

import atexit
import re
import shutil
import tempfile
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from rootwatch.errors import ConnectionFailed, UsageError

_LOCAL = re.compile(r"local(\[(\*|[1-9][0-9]*)\])?")
_CONNECT = re.compile(r"sc://[^/\s:]+(:[0-9]{1,5})?(/.*)?")
_CONF_KEY = re.compile(r"[A-Za-z0-9_.\-]+")

INSTALL_HINT = "install the extra: pip install 'rootwatch[spark]' (and Java 17 or newer: apt-get install openjdk-17-jre-headless)"

# Settings of every embedded session; --spark-conf overrides them. Small shuffles suit the
# evidence tables (thousands of rows); adaptive execution merges partitions of a large CloudTrail
# scan anyway.
_LOCAL_DEFAULTS: dict[str, str] = {
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    "spark.sql.shuffle.partitions": "8",
    "spark.sql.adaptive.enabled": "true",
    "spark.driver.host": "127.0.0.1",
    "spark.driver.bindAddress": "127.0.0.1",
}


@dataclass(frozen=True)
class SparkTarget:
    """Where Spark runs: ``master`` is ``local[...]`` or an ``sc://`` Spark Connect URL."""

    master: str
    conf: tuple[tuple[str, str], ...] = ()

    @property
    def is_connect(self) -> bool:
        return self.master.startswith("sc://")

    @property
    def description(self) -> str:
        """Safe to print: a Connect URL's parameters (a token among them) are left out."""
        return f"Spark {self.master.split(';', 1)[0]}"


def parse_target(master: str, conf: Sequence[str] = ()) -> SparkTarget:
    """``--spark`` and ``--spark-conf KEY=VALUE`` values, checked (UsageError naming the option)."""
    master = master.strip()
    if not (_LOCAL.fullmatch(master) or _CONNECT.fullmatch(master)):
        raise UsageError(
            f"--spark {master!r} is neither local[*], local[N] nor a Spark Connect URL",
            hint="for example --spark local[2] (embedded) or --spark sc://127.0.0.1:15002 (a Spark Connect server)",
        )
    pairs: list[tuple[str, str]] = []
    for item in conf:
        key, sep, value = item.partition("=")
        if not sep or not _CONF_KEY.fullmatch(key.strip()):
            raise UsageError(f"--spark-conf {item!r} is not KEY=VALUE", hint="for example --spark-conf spark.driver.memory=4g")
        pairs.append((key.strip(), value))
    return SparkTarget(master, tuple(pairs))


class _Shared:
    """The process's one session and what it needs cleaned up."""

    lock = threading.Lock()
    session: Any = None
    target: SparkTarget | None = None
    scratch: Path | None = None


def session_for(target: SparkTarget) -> Any:
    """The process's session for ``target``, started on first use (ConnectionFailed when it cannot be)."""
    with _Shared.lock:
        if _Shared.session is not None:
            if _Shared.target != target:
                raise UsageError(
                    f"this process already runs {_Shared.target.description if _Shared.target else 'Spark'};"
                    f" it cannot also start {target.description}",
                    hint="use one --spark target (and one set of --spark-conf) per process",
                )
            return _Shared.session
        _Shared.session = _connect(target) if target.is_connect else _start_local(target)
        _Shared.target = target
        return _Shared.session


def _import_pyspark() -> Any:
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise ConnectionFailed("the spark engine needs PySpark, which is not installed", hint=INSTALL_HINT) from None
    return SparkSession


def _quiet_client_logs() -> None:
    """PySpark's client logs every failed query with its whole SQL and JVM stack trace; rootwatch
    reports the failure itself, in one line."""
    import logging

    for name in ("pyspark", "SQLQueryContextLogger", "py4j"):
        logging.getLogger(name).setLevel(logging.CRITICAL)


def _connect(target: SparkTarget) -> Any:
    session_class = _import_pyspark()
    _quiet_client_logs()
    try:
        builder = session_class.builder.remote(target.master)
        for key, value in target.conf:
            builder = builder.config(key, value)
        session = builder.getOrCreate()
        session.conf.set("spark.sql.session.timeZone", "UTC")
        session.sql("SELECT 1").collect()  # the server answers now, not in the middle of a run
    except Exception as exc:  # noqa: BLE001 - gRPC, import and protocol errors all mean "cannot connect"
        raise ConnectionFailed(
            f"cannot reach Spark Connect at {target.description.removeprefix('Spark ')}: {first_line(exc)}",
            hint="start one with $SPARK_HOME/sbin/start-connect-server.sh, or check --spark",
        ) from None
    return session


def log4j_properties() -> Path:
    """The log4j2 configuration shipped with rootwatch (WARN and above; Hadoop's native-library
    notice silenced), as a file the JVM can read."""
    resource = resources.files("rootwatch.engines").joinpath("spark_log4j2.properties")
    return Path(str(resource))


def _start_local(target: SparkTarget) -> Any:
    session_class = _import_pyspark()
    _quiet_client_logs()
    if shutil.which("java") is None and not _java_home_set():
        raise ConnectionFailed("the spark engine needs Java 17 or newer, and no java is on PATH", hint=INSTALL_HINT)
    use_this_python()
    scratch = Path(tempfile.mkdtemp(prefix="rootwatch-spark-"))
    _Shared.scratch = scratch
    java_options = f"-Dlog4j2.configurationFile=file:{log4j_properties()} -Djava.io.tmpdir={scratch / 'tmp'}"
    (scratch / "tmp").mkdir()
    settings = {
        **_LOCAL_DEFAULTS,
        "spark.sql.warehouse.dir": str(scratch / "warehouse"),
        "spark.driver.extraJavaOptions": java_options,
        "spark.sql.session.timeZone": "UTC",
        **dict(target.conf),
    }
    try:
        builder = session_class.builder.master(target.master).appName("rootwatch")
        for key, value in settings.items():
            builder = builder.config(key, value)
        session = builder.getOrCreate()
    except Exception as exc:  # noqa: BLE001 - a JVM that does not start reports in many ways
        shutil.rmtree(scratch, ignore_errors=True)
        raise ConnectionFailed(f"cannot start Spark {target.master}: {first_line(exc)}", hint=INSTALL_HINT) from None
    session.sparkContext.setLogLevel("WARN")
    return session


def use_this_python() -> None:
    """Have an embedded session's Python workers (``mapInArrow``: the S3 reader) run this
    interpreter, which has pyarrow and boto3, not whatever ``python3`` is first on PATH
    (PySpark's default); an explicit ``PYSPARK_PYTHON`` wins."""
    import os
    import sys

    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)


def _java_home_set() -> bool:
    import os

    home = os.environ.get("JAVA_HOME")
    return bool(home) and Path(home, "bin", "java").exists()


def stop_session() -> None:
    """Stop the process's session (if any) and remove its scratch folder."""
    with _Shared.lock:
        session, scratch = _Shared.session, _Shared.scratch
        _Shared.session = _Shared.target = _Shared.scratch = None
    if session is not None:
        try:
            session.stop()
        except Exception:  # noqa: BLE001, S110 - the process is ending; a JVM already gone is fine
            pass
    if scratch is not None:
        shutil.rmtree(scratch, ignore_errors=True)


atexit.register(stop_session)


def first_line(exc: BaseException) -> str:
    """The first meaningful line of a Spark or Py4J error (no JVM stack trace)."""
    text = str(exc).strip()
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith(("JVM stacktrace", "at ", "py4j")):
            return line[:500]
    return type(exc).__name__
