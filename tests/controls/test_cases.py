"""Every YAML case of every control, on DuckDB, on PostgreSQL and on Spark (local mode), with
identical graded rows.

Test ids are ``<control>_<case>`` so ``-k root_no_access_keys`` picks one control's cases. A case
file that does not load becomes one failing test naming the file and line, instead of stopping the
collection of every other file's cases.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from rootwatch.cases import Case, compare, load_cases, run_case_duckdb, run_case_postgres, run_case_spark
from rootwatch.errors import InputError

CASES_DIR = Path(__file__).resolve().parents[1] / "cases"


def _collect() -> list:
    params = []
    for path in sorted(CASES_DIR.glob("*.yaml")):
        try:
            params.extend(pytest.param(case, id=case.id) for case in load_cases(path))
        except InputError as exc:
            params.append(pytest.param(exc, id=f"{path.stem}_unloadable"))
    return params


CASES = _collect()


def _case(item: Case | InputError) -> Case:
    if isinstance(item, InputError):
        pytest.fail(f"case file does not load: {item}")
    return item


def _failure(case: Case, engine: str, problems: list[str]) -> str:
    where = f"{case.path.name}:{case.line}"
    return f"{case.id} on {engine} ({where}):\n  " + "\n  ".join(problems)


@pytest.mark.parametrize("item", CASES)
def test_case_on_duckdb(item: Case | InputError, mod) -> None:
    case = _case(item)
    rows, error = run_case_duckdb(case, mod)
    assert error is None, f"{case.id}: control error: {error}"
    problems = compare(case, rows)
    assert not problems, _failure(case, "duckdb", problems)


@pytest.mark.postgres
@pytest.mark.parametrize("item", CASES)
def test_case_on_postgres_matches_duckdb(item: Case | InputError, mod, pg_dsn: str) -> None:
    case = _case(item)
    rows, error = run_case_postgres(case, mod, pg_dsn)
    assert error is None, f"{case.id}: control error on postgres: {error}"
    problems = compare(case, rows)
    assert not problems, _failure(case, "postgres", problems)
    duck_rows, _ = run_case_duckdb(case, mod)
    assert sorted(rows, key=repr) == sorted(duck_rows, key=repr), "graded rows differ between engines"


@pytest.mark.spark
@pytest.mark.parametrize("item", CASES)
def test_case_on_spark_matches_duckdb(item: Case | InputError, mod, spark) -> None:
    case = _case(item)
    rows, error = run_case_spark(case, mod, spark)
    assert error is None, f"{case.id}: control error on spark: {error}"
    problems = compare(case, rows)
    assert not problems, _failure(case, "spark", problems)
    duck_rows, _ = run_case_duckdb(case, mod)
    assert sorted(rows, key=repr) == sorted(duck_rows, key=repr), "graded rows differ between engines"
