"""The snapshot opened while the mod loads (rootwatch.cli.early_open): the same engine, errors and
order of messages as opening it when the run needs it."""

from __future__ import annotations

from pathlib import Path

import pytest
from rootwatch.cli.early_open import EarlyOpen, early_open, opened_engine
from rootwatch.cli.main import build_parser
from rootwatch.engines.base import DataSource
from rootwatch.errors import ConnectionFailed


def _args(*argv: str):  # noqa: ANN202 - argparse.Namespace
    return build_parser(list(argv)).parse_args(list(argv))


def test_the_run_takes_the_engine_opened_early(cli_snapshot: Path) -> None:
    args = _args("benchmark", "run", "all", "--snapshot", str(cli_snapshot))
    with early_open(args) as early:
        assert early is not None
        with opened_engine(DataSource(snapshot=cli_snapshot, query_timeout=args.query_timeout), early) as engine:
            assert "aws_account" in engine.available_tables()
            assert engine.execute("select count(*) from aws_account").rows[0][0] > 0


def test_an_engine_the_run_never_takes_is_closed(cli_snapshot: Path) -> None:
    opening = EarlyOpen(DataSource(snapshot=cli_snapshot))
    opening._thread.join()
    engine = opening._engine
    assert engine is not None
    opening.discard()
    with pytest.raises(Exception, match="(?i)closed"):
        engine.execute("select 1")


def test_a_failed_opening_raises_where_the_run_asks_for_the_engine(tmp_path: Path) -> None:
    opening = EarlyOpen(DataSource(snapshot=tmp_path / "missing.duckdb"))
    with pytest.raises(ConnectionFailed, match="missing.duckdb does not exist"):
        opening.take()
    opening.discard()  # nothing left to close


def test_another_source_is_opened_as_before(cli_snapshot: Path, tmp_path: Path) -> None:
    other = tmp_path / "other.duckdb"
    other.write_bytes(cli_snapshot.read_bytes())
    opening = EarlyOpen(DataSource(snapshot=cli_snapshot))
    with opened_engine(DataSource(snapshot=other), opening) as engine:
        assert str(other) in engine.description
    opening.discard()


@pytest.mark.parametrize(
    "argv",
    [
        ("benchmark", "run", "all", "--dry-run"),  # no data source needed
        ("benchmark", "run", "all", "--database", "postgresql://localhost/x"),  # connected when needed
        ("benchmark", "run", "all", "--snapshot", "a.duckdb", "--database", "b"),  # the run reports it
        ("control", "run", "all", "--snapshot", "x.duckdb", "--query-timeout", "0"),
    ],
)
def test_nothing_opens_early_without_a_valid_snapshot_source(argv: tuple[str, ...], monkeypatch) -> None:
    monkeypatch.delenv("ROOTWATCH_SNAPSHOT", raising=False)
    monkeypatch.delenv("ROOTWATCH_DATABASE", raising=False)
    with early_open(_args(*argv)) as early:
        assert early is None


def test_an_unknown_benchmark_is_reported_before_a_missing_snapshot(run_cli, cli_mod: Path, tmp_path: Path) -> None:
    code, _, err = run_cli("benchmark", "run", "nope", "--mod-location", str(cli_mod), "--snapshot", str(tmp_path / "gone.duckdb"))
    assert code == 3
    assert "unknown benchmark 'nope'" in err
    assert "does not exist" not in err
