"""Shared fixtures: the mod, a real PostgreSQL database per session, engines loaded with rows.

PostgreSQL is the machine's own server at 127.0.0.1:5432 (override with ROOTWATCH_TEST_PG). Tests
that need it skip with the reason when no server answers, except under CI=true, where a missing
server is a failure: CI must run both engines.
"""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
# The cache of YAML documents that passed their schema (rootwatch.yamlschema) stays out of the
# user's home: one directory per test run, shared by its workers and the commands they start.
os.environ.setdefault("ROOTWATCH_CACHE_DIR", tempfile.mkdtemp(prefix="rootwatch-test-cache-"))
PG_ADMIN_DSN = os.environ.get("ROOTWATCH_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")


@pytest.fixture(scope="session")
def repo() -> Path:
    return REPO


@pytest.fixture(scope="session")
def mod():
    from rootwatch.mod.loader import load_mod

    return load_mod(Path(os.environ.get("ROOTWATCH_TEST_MOD", REPO)))


def _server_unavailable(reason: str) -> None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"PostgreSQL is required under CI=true: {reason}")
    pytest.skip(f"no PostgreSQL server for the Postgres engine tests: {reason}")


@pytest.fixture(scope="session")
def pg_dsn() -> Iterator[str]:
    """DSN of a fresh database created for this test session and dropped after it."""
    import psycopg
    from psycopg import sql

    try:
        admin = psycopg.connect(PG_ADMIN_DSN, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:
        _server_unavailable(str(exc).strip().splitlines()[0])
    name = f"rootwatch_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    with admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        params = psycopg.conninfo.conninfo_to_dict(PG_ADMIN_DSN)
        params["dbname"] = name
        try:
            yield psycopg.conninfo.make_conninfo(**params)
        finally:
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


@pytest.fixture(scope="module")
def moto_url() -> Iterator[str]:
    """moto's server on 127.0.0.1 (a free port), one per test module: the base URL for boto3."""
    import socket

    moto_server = pytest.importorskip("moto.server")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{server._server.server_port}"  # noqa: SLF001 - the bound port
    finally:
        server.stop()


@pytest.fixture()
def run_cli(capsys, monkeypatch):
    """Run the command in-process; returns (exit code, stdout, stderr)."""
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.delenv("ROOTWATCH_SNAPSHOT", raising=False)
    monkeypatch.delenv("ROOTWATCH_DATABASE", raising=False)

    from rootwatch.cli.main import main

    def run(*args: str) -> tuple[int, str, str]:
        try:
            code = main(list(args))
        except SystemExit as exc:  # argparse's own exits (--help, usage errors)
            code = exc.code if isinstance(exc.code, int) else 0
        out, err = capsys.readouterr()
        return code, out, err

    return run


@pytest.fixture()
def cli_mod(tmp_path: Path) -> Path:
    """A small mod of its own for command-line tests, independent of the real controls' evolving
    texts: the exemplar control plus controls that break the contract on purpose."""
    from helpers.mods import cli_mod as cli_mod_in

    return cli_mod_in(tmp_path / "mod")


@pytest.fixture()
def cli_snapshot(tmp_path: Path) -> Path:
    """A snapshot holding the rows the CLI test mod grades."""
    from helpers.mods import CLI_ROWS
    from helpers.snapshots import write_snapshot

    return write_snapshot(tmp_path / "org.duckdb", CLI_ROWS)



@pytest.fixture(scope="session")
def spark():
    """The test process's embedded Spark session (local[2]), started once and shared by every
    Spark test; skips where PySpark or Java is missing (fails under CI=true)."""
    from helpers.spark import require_spark, spark_test_target

    from rootwatch.engines.spark_session import session_for

    require_spark()
    return session_for(spark_test_target())
