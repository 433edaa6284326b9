"""The same benchmark through the command line on a snapshot and on PostgreSQL: same graded rows."""

from __future__ import annotations

import json
from pathlib import Path

from helpers.mods import CLI_ROWS


def _results(document: dict) -> list[tuple]:
    found = []

    def walk(group: dict) -> None:
        for control in group["controls"]:
            for r in control["results"]:
                found.append((control["control_id"], r["resource"], r["status"], r["reason"], json.dumps(r["dimensions"])))
            if control["run_error"]:
                found.append((control["control_id"], control["run_error"]))
        for child in group["groups"]:
            walk(child)

    walk(document)
    return sorted(found)


def test_snapshot_and_postgres_grade_alike(run_cli, cli_mod: Path, cli_snapshot: Path, pg_dsn: str) -> None:
    import psycopg

    from rootwatch.cases import drop_postgres_schema, postgres_schema_with_rows

    common = ("benchmark", "run", "demo", "--mod-location", str(cli_mod), "--output", "json", "--as-of", "2026-11-25T12:00:00Z")
    code_duck, out_duck, _ = run_cli(*common, "--snapshot", str(cli_snapshot))
    with psycopg.connect(pg_dsn) as con:
        schema = postgres_schema_with_rows(con, CLI_ROWS)
        try:
            code_pg, out_pg, err = run_cli(*common, "--database", pg_dsn, "--search-path", schema)
        finally:
            drop_postgres_schema(con, schema)
    assert code_pg == code_duck == 1, err
    assert _results(json.loads(out_pg)) == _results(json.loads(out_duck))
    assert json.loads(out_pg)["rootwatch"]["engine"] == "postgres"


def test_live_default_as_of_is_the_wall_clock(run_cli, cli_mod: Path, pg_dsn: str) -> None:
    code, out, _ = run_cli("query", "run", "select now() as t", "--mod-location", str(cli_mod), "--database", pg_dsn, "--output", "json")
    assert code == 0
    from datetime import datetime, timezone

    printed = datetime.fromisoformat(json.loads(out)[0]["t"])
    assert abs((datetime.now(timezone.utc) - printed).total_seconds()) < 60
