"""Each control's DuckDB and Spark SQL translation matches its golden file (scripts/regen-golden
rewrites them)."""

from __future__ import annotations

import pytest

from helpers.golden import GOLDEN_DIALECTS, golden_dir, golden_translation


@pytest.mark.parametrize("dialect", GOLDEN_DIALECTS)
def test_every_control_has_a_golden_file(mod, repo, dialect: str) -> None:
    have = {p.stem for p in (repo / golden_dir(dialect)).glob("*.sql")}
    assert have == set(mod.controls), "run scripts/regen-golden and review the diff"


@pytest.mark.parametrize("dialect", GOLDEN_DIALECTS)
def test_translations_match_golden_files(mod, repo, dialect: str) -> None:
    mismatched = []
    for control in mod.controls.values():
        path = repo / golden_dir(dialect) / f"{control.id}.sql"
        if not path.exists() or path.read_text() != golden_translation(mod, control, dialect):
            mismatched.append(control.id)
    if mismatched:
        pytest.fail(
            f"{dialect} translation changed for {', '.join(sorted(mismatched))}: run scripts/regen-golden and review the diff"
        )
