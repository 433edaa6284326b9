"""Every run format rendered from the fixture run matches its golden file exactly.

After an intended change to a format: ``scripts/regen-output-golden``, then review the diff.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from rootwatch.output import FORMATS

REPO = Path(__file__).resolve().parents[2]
GOLDEN_FORMATS = ("text", "brief", "csv", "json", "md", "junit", "asff", "ocsf")


def test_golden_formats_are_the_fixture_formats(golden_names) -> None:
    assert tuple(golden_names) == GOLDEN_FORMATS


@pytest.mark.parametrize("name", GOLDEN_FORMATS)
def test_format_matches_golden_file(name: str, sample_result, render, golden_text) -> None:
    actual = render(name, sample_result)
    assert actual == golden_text(name), f"{name} differs from its golden file; rerun scripts/regen-output-golden if intended"


def test_rendering_is_deterministic(build_sample, render) -> None:
    first, second = build_sample(), build_sample()
    assert first is not second
    for name in GOLDEN_FORMATS:
        assert render(name, first) == render(name, second)


def test_every_run_format_of_this_task_has_a_golden_file() -> None:
    # html and the CIS tables are pinned by their own tests; "none" prints nothing.
    others = {"none", "html"} | {name for name in FORMATS if name.startswith("cis-")}
    assert set(FORMATS) - others == set(GOLDEN_FORMATS)


def _regen(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(REPO / "scripts" / "regen-output-golden"), *args],
        capture_output=True,
        text=True,
        cwd=REPO,
        check=False,
    )


def test_regen_script_reports_golden_files_up_to_date() -> None:
    completed = _regen("--check")
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert completed.stdout.strip() == "golden output files are up to date"


def test_regen_script_rejects_an_unknown_format() -> None:
    completed = _regen("--check", "pdf")
    assert completed.returncode == 2
    assert "unknown format pdf" in completed.stderr
