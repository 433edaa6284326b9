"""Golden translations: what DuckDB and Spark actually run for each control (its shared relations
prepended), pinned in the repo, one folder per engine (``tests/golden/duckdb``, ``tests/golden/spark``).

A sqlglot upgrade or a rewrite change then shows up as a reviewed diff instead of a surprise.
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import Literal

from rootwatch.mod.model import Control, Mod

GoldenDialect = Literal["duckdb", "spark"]
GOLDEN_DIALECTS: tuple[GoldenDialect, ...] = ("duckdb", "spark")
GOLDEN_ROOT = Path("tests/golden")
GOLDEN_AS_OF = datetime(2026, 1, 1, tzinfo=timezone.utc)
_NAMES = {"duckdb": "DuckDB", "spark": "Spark SQL"}


def golden_dir(dialect: GoldenDialect) -> Path:
    """Where the golden translations for ``dialect`` live, relative to the repository."""
    return GOLDEN_ROOT / dialect


def golden_translation(mod: Mod, control: Control, dialect: GoldenDialect = "duckdb") -> str:
    """The control's SQL for ``dialect`` with default variables and the clock at GOLDEN_AS_OF."""
    from rootwatch.checks import sample_values
    from rootwatch.sql.compile import compile_sql

    sql = compile_sql(control.source, dialect, sample_values(dict(mod.variables)), GOLDEN_AS_OF, pretty=True)
    header = (
        f"-- {_NAMES[dialect]} translation of controls/{control.id}.sql with the shared relations it reads (generated\n"
        f"-- by scripts/regen-golden; default variables, clock pinned to {GOLDEN_AS_OF.isoformat()}). Do not edit by hand.\n"
    )
    return header + sql + "\n"
