"""Golden DuckDB translations: what DuckDB actually runs for each control (its shared relations
prepended), pinned in the repo.

A sqlglot upgrade or a rewrite change then shows up as a reviewed diff instead of a surprise.
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

from rootwatch.mod.model import Control, Mod

GOLDEN_DIR = Path("tests/golden/duckdb")
GOLDEN_AS_OF = datetime(2026, 1, 1, tzinfo=timezone.utc)


def golden_translation(mod: Mod, control: Control) -> str:
    """The control's DuckDB SQL with default variables and the clock at GOLDEN_AS_OF."""
    from rootwatch.checks import sample_values
    from rootwatch.sql.compile import compile_sql

    sql = compile_sql(control.source, "duckdb", sample_values(dict(mod.variables)), GOLDEN_AS_OF, pretty=True)
    header = (
        f"-- DuckDB translation of controls/{control.id}.sql with the shared relations it reads (generated\n"
        f"-- by scripts/regen-golden; default variables, clock pinned to {GOLDEN_AS_OF.isoformat()}). Do not edit by hand.\n"
    )
    return header + sql + "\n"
