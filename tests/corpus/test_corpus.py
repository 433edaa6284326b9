"""The hardening corpus: one parametrized test per entry point, each entry a YAML item of
``tests/corpus/<entry point>.yaml`` (the format is in README.md beside this file)."""

from __future__ import annotations

from pathlib import Path

import pytest

from helpers.corpus import Case, load_cases, run_case, runnable


def _check(case: Case, tmp_path: Path) -> None:
    why = runnable(case)
    if why:
        pytest.skip(why)
    outcome = run_case(case, tmp_path)
    assert not outcome.broken, outcome.report()


def _cases(entry: str) -> list:
    return [
        pytest.param(case, id=case.name, marks=[pytest.mark.xfail(reason=case.xfail, strict=True)] if case.xfail else [])
        for case in load_cases(entry)
    ]


@pytest.mark.parametrize("case", _cases("snapshot_from_files"))
def test_snapshot_from_files(case: Case, tmp_path: Path) -> None:
    _check(case, tmp_path)


@pytest.mark.parametrize("case", _cases("credential_report"))
def test_snapshot_from_credential_report(case: Case, tmp_path: Path) -> None:
    _check(case, tmp_path)


@pytest.mark.parametrize("case", _cases("snapshot_info"))
def test_snapshot_info(case: Case, tmp_path: Path) -> None:
    _check(case, tmp_path)


@pytest.mark.parametrize("case", _cases("run_on_snapshot"))
def test_run_on_snapshot(case: Case, tmp_path: Path) -> None:
    _check(case, tmp_path)


@pytest.mark.parametrize("case", _cases("diff"))
def test_diff(case: Case, tmp_path: Path) -> None:
    _check(case, tmp_path)
