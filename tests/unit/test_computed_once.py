"""Shared relations computed once per run on DuckDB (rootwatch.computed_once): each is computed
once, its readers read its rows, and every control grades exactly as when each computes what it reads."""

from __future__ import annotations

import re
import threading
from pathlib import Path
from typing import Any

import pytest

from rootwatch.cases import Case, duckdb_with_rows, load_cases
from rootwatch.computed_once import relations_worth_keeping
from rootwatch.engines.base import QueryFailed
from rootwatch.engines.duckdb_engine import DuckDBEngine
from rootwatch.execution import run_targets
from rootwatch.mod.variables import coerce_value, resolve_variables
from rootwatch.options import RunOptions

CASES_DIR = Path(__file__).resolve().parents[1] / "cases"


class RecordingDuckDB(DuckDBEngine):
    """The real engine, noting the relations it keeps and the statements it runs."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.kept_names: list[str] = []
        self.statements: list[str] = []
        self.kept_sql: dict[str, str] = {}
        self._notes = threading.Lock()

    def keep_rows(self, name: str, sql: str) -> None:
        with self._notes:
            self.kept_names.append(name)
            self.kept_sql[name] = sql
        super().keep_rows(name, sql)

    def execute(self, sql: str) -> Any:
        with self._notes:
            self.statements.append(sql)
        return super().execute(sql)


class InliningDuckDB(DuckDBEngine):
    """The real engine, keeping nothing: every control computes the relations it reads, as before."""

    can_keep_rows = False


def _graded(result: Any) -> dict[str, tuple[Any, str | None]]:
    return {run.node.id: (run.rows, run.error) for _, run in result.control_runs()}


def _readers(mod: Any) -> list[Any]:
    return [c for c in mod.controls.values() if any(c.id in ids for ids in relations_worth_keeping(list(mod.controls.values())).values())]


def test_each_shared_relation_is_computed_once_and_read_by_its_readers(mod, tmp_path: Path) -> None:
    from rootwatch.api import benchmark_targets

    snapshot = _example_snapshot(tmp_path)
    options = RunOptions(variables=resolve_variables(mod.variables, environ={}))
    engine = RecordingDuckDB.open(snapshot)
    try:
        shared = run_targets(engine, benchmark_targets(mod, ["root"]), options)
    finally:
        engine.close()
    inlining = InliningDuckDB.open(snapshot)  # after: the process holds one database per file
    try:
        alone = run_targets(inlining, benchmark_targets(mod, ["root"]), options)
    finally:
        inlining.close()
    assert {"root_usage_verdicts", "trail_coverage", "root_event_paths"} <= set(engine.kept_names)
    assert sorted(engine.kept_names) == sorted(set(engine.kept_names)), "a relation was computed twice"
    for name in engine.kept_names:
        defined = re.compile(rf"\b{name}\s+AS\s+\(", re.IGNORECASE)
        assert not [s for s in engine.statements if defined.search(s)], f"a control computed {name} again"
        others = [other for other, sql in engine.kept_sql.items() if other != name and defined.search(sql)]
        assert not others, f"{others} computed {name} again instead of reading its kept rows"
    graded = _graded(shared)
    assert graded == _graded(alone)
    assert all(error is None for _, error in graded.values())
    assert sum(len(rows) for rows, _ in graded.values()) > 0


def _example_snapshot(tmp_path: Path) -> Path:
    from rootwatch.snapshot.from_files import build_from_directory

    path = tmp_path / "example.duckdb"
    build_from_directory(Path(__file__).resolve().parents[2] / "examples" / "org", path)
    return path


def _reader_cases() -> list[Any]:
    from rootwatch.mod.loader import load_mod

    mod = load_mod(Path(__file__).resolve().parents[2])
    readers = {c.id for c in _readers(mod)}
    return [
        pytest.param(case, id=case.id)
        for path in sorted(CASES_DIR.glob("*.yaml"))
        if path.stem in readers
        for case in load_cases(path)
    ]


@pytest.mark.parametrize("case", _reader_cases())
def test_every_case_grades_the_same_with_shared_relations_kept(case: Case, mod) -> None:
    """The case's rows graded by its control and the controls it shares a relation computed once
    with, the relations kept and not: the same rows and errors, control by control."""
    from rootwatch.api import control_target

    shared = relations_worth_keeping(list(mod.controls.values()))
    partners = sorted({reader for ids in shared.values() if case.control in ids for reader in ids})
    variables = resolve_variables(mod.variables, environ={})
    variables.update({name: coerce_value(mod.variables[name], value, from_text=False) for name, value in case.variables.items()})
    options = RunOptions(variables=variables, as_of=case.as_of)
    targets = [control_target(mod, name) for name in partners]
    graded = {}
    for engine_class in (RecordingDuckDB, InliningDuckDB):
        engine = engine_class.from_connection(duckdb_with_rows(case.given))
        try:
            graded[engine_class] = _graded(run_targets(engine, targets, options))
            if engine_class is RecordingDuckDB:
                assert engine.kept_names, "nothing was kept"
        finally:
            engine.close()
    assert graded[RecordingDuckDB] == graded[InliningDuckDB]


def test_a_shared_relation_that_fails_is_each_readers_error(mod) -> None:
    from rootwatch.api import control_target

    connection = duckdb_with_rows({"aws_account": [{"account_id": "111111111111", "partition": "aws", "region": "global"}]})
    connection.execute("DROP TABLE aws_cloudwatch_log_metric_filter")  # read by root_usage_verdicts only
    options = RunOptions(variables=resolve_variables(mod.variables, environ={}))
    targets = [control_target(mod, name) for name in ("root_usage_monitored", "root_activity_alerted")]
    engine = RecordingDuckDB.from_connection(connection)
    try:
        graded = _graded(run_targets(engine, targets, options))
    finally:
        engine.close()
    assert engine.kept_names == ["root_usage_verdicts"]
    for control in ("root_usage_monitored", "root_activity_alerted"):
        rows, error = graded[control]
        assert rows == ()
        assert error is not None and error.startswith(f"control {control} failed: Catalog Error:"), error
        assert "aws_cloudwatch_log_metric_filter" in error


def test_computing_a_shared_relation_stops_when_interrupted() -> None:
    engine = DuckDBEngine.from_connection(duckdb_with_rows({}))
    try:
        threading.Timer(0.5, engine.interrupt).start()
        with pytest.raises(QueryFailed, match="^interrupted$"):
            engine.keep_rows("endless", "select count(*) from range(1000000000000) as a, range(10) as b")
    finally:
        engine.close()


def test_a_relation_one_control_reads_is_kept_beside_the_chain_that_control_waits_for(mod) -> None:
    """root_activity_alerted alone reads root_event_paths, and waits for root_usage_verdicts, which
    is computed after trail_coverage: its EventBridge paths are computed beside that chain. A
    relation whose one reader waits only for a relation computed first (root_virtual_mfa, read by
    root_hardware_mfa_enabled beside root_credentials) is not kept: it would be one more statement
    for nothing."""
    controls = [node.control for node in mod.benchmark("root").control_nodes() if node.control is not None]
    chosen = relations_worth_keeping(controls)
    assert chosen["root_event_paths"] == ("root_activity_alerted",)
    assert len(chosen["root_usage_verdicts"]) >= 2
    assert "root_virtual_mfa" not in chosen and "root_signing_certificates" not in chosen
    alone = [c for c in controls if c.id == "root_activity_alerted"]
    assert relations_worth_keeping(alone) == {}, "a control run alone waits for no chain"


def test_kept_rows_are_forgotten_after_the_run() -> None:
    engine = DuckDBEngine.from_connection(duckdb_with_rows({}))
    try:
        engine.keep_rows("numbers", "select 1 as n union all select 2")
        assert engine.execute("select sum(n) from numbers").rows == [(3,)]
        engine.forget_kept_rows()
        with pytest.raises(QueryFailed, match="numbers"):
            engine.execute("select * from numbers")
    finally:
        engine.close()


def test_a_reader_reading_kept_rows_has_compile_cache_keys_of_its_own(mod) -> None:
    """The on-disk cache never serves the inlined translation for the reader's, nor the reverse."""
    from rootwatch.computed_once import reading_kept
    from rootwatch.sql.compile_cache import source_key

    source = mod.controls["root_usage_monitored"].source
    reader = reading_kept(source, frozenset({"root_usage_verdicts"}))
    assert "root_usage_verdicts" not in {r.name for r in reader.relations}
    assert source_key(reader) != source_key(source)
    assert source_key(reader) != source_key(reading_kept(source, frozenset({"root_usage_verdicts", "trail_coverage"})))
