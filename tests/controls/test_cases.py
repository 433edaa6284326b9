"""Every YAML case of every control, on DuckDB and on PostgreSQL, with identical graded rows.

Test ids are ``<control>_<case>`` so ``-k root_no_access_keys`` picks one control's cases.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from rootwatch.cases import Case, compare, discover_cases, run_case_duckdb, run_case_postgres

CASES_DIR = Path(__file__).resolve().parents[1] / "cases"
CASES = discover_cases(CASES_DIR)


def _failure(case: Case, engine: str, problems: list[str]) -> str:
    where = f"{case.path.name}:{case.line}"
    return f"{case.id} on {engine} ({where}):\n  " + "\n  ".join(problems)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_case_on_duckdb(case: Case, mod) -> None:
    rows, error = run_case_duckdb(case, mod)
    assert error is None, f"{case.id}: control error: {error}"
    problems = compare(case, rows)
    assert not problems, _failure(case, "duckdb", problems)


@pytest.mark.postgres
@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_case_on_postgres_matches_duckdb(case: Case, mod, pg_dsn: str) -> None:
    rows, error = run_case_postgres(case, mod, pg_dsn)
    assert error is None, f"{case.id}: control error on postgres: {error}"
    problems = compare(case, rows)
    assert not problems, _failure(case, "postgres", problems)
    duck_rows, _ = run_case_duckdb(case, mod)
    assert sorted(rows, key=repr) == sorted(duck_rows, key=repr), "graded rows differ between engines"
