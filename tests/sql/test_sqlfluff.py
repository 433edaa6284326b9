"""The mod's SQL passes sqlfluff (postgres dialect, rules and exceptions in the repository's
``.sqlfluff``): controls, shared relations and queries. Run it yourself with
``.venv/bin/sqlfluff lint controls queries`` (``sqlfluff fix controls queries`` mends most layout
findings)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("sqlfluff", reason="sqlfluff is in the test extra: pip install -e '.[test]'")


def test_mod_sql_passes_sqlfluff(repo: Path) -> None:
    # controls/ holds controls/relations/; naming both would lint the relations twice.
    result = subprocess.run(
        [sys.executable, "-m", "sqlfluff", "lint", "controls", "queries", "--format", "json", "--disable-progress-bar"],
        cwd=repo,
        capture_output=True,
        text=True,
        timeout=600,
    )
    report = json.loads(result.stdout or "[]")
    linted = {(repo / entry["filepath"]).resolve() for entry in report}
    expected = {p.resolve() for folder in ("controls", "controls/relations", "queries") for p in (repo / folder).glob("*.sql")}
    assert linted == expected, "sqlfluff must lint exactly the mod's SQL files"
    findings = [
        f"{entry['filepath']}:{v.get('start_line_no')}:{v.get('start_line_pos')}: {v['code']} {v['description']}"
        for entry in report
        for v in entry["violations"]
    ]
    assert not findings and result.returncode == 0, (
        "sqlfluff findings (fix them; `sqlfluff fix controls queries` mends layout):\n  "
        + "\n  ".join(findings or [result.stderr])
    )
