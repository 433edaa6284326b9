"""Each control's DuckDB translation matches its golden file (scripts/regen-golden rewrites them)."""

from __future__ import annotations

import pytest

from rootwatch.golden import GOLDEN_DIR, golden_translation


def test_every_control_has_a_golden_file(mod, repo) -> None:
    have = {p.stem for p in (repo / GOLDEN_DIR).glob("*.sql")}
    assert have == set(mod.controls), "run scripts/regen-golden and review the diff"


def test_translations_match_golden_files(mod, repo) -> None:
    mismatched = []
    for control in mod.controls.values():
        path = repo / GOLDEN_DIR / f"{control.id}.sql"
        if not path.exists() or path.read_text() != golden_translation(mod, control):
            mismatched.append(control.id)
    if mismatched:
        pytest.fail(f"DuckDB translation changed for {', '.join(sorted(mismatched))}: run scripts/regen-golden and review the diff")
