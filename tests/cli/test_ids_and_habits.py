"""Ids that round-trip and a Powerpipe user's habits, on the real mod and the example organisation.

Every id rootwatch prints (JSON/CSV ``rootwatch.control.cis_v700_2_4``, ``rootwatch.benchmark.cis_v400``,
ASFF ``rootwatch/root_mfa_enabled``) is accepted back by every command and by ``--where``; a CIS item
runs as a control with its version's semantics; ``benchmark run all``, ``--dry-run`` and
``--database duckdb:///path`` work; exports say what they wrote, the same way everywhere.
"""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def example(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from rootwatch.snapshot.from_files import build_from_directory

    out = tmp_path_factory.mktemp("example") / "example.duckdb"
    build_from_directory(REPO / "examples" / "org", out)
    return out


def _json(out: str) -> dict:
    return json.loads(out)


def _control_ids(document: dict) -> list[str]:
    found: list[str] = []

    def walk(group: dict) -> None:
        found.extend(control["control_id"] for control in group["controls"])
        for child in group["groups"]:
            walk(child)

    walk(document)
    return found


def test_every_printed_control_id_is_accepted_back(run_cli, example: Path) -> None:
    code, out, err = run_cli("benchmark", "run", "cis_v700", "--snapshot", str(example), "--output", "json")
    assert code == 1, err
    wanted = {"rootwatch.control.cis_v700_2_2", "rootwatch.control.cis_v700_2_4", "rootwatch.control.cis_v700_5_3"}
    printed = [cid for cid in _control_ids(_json(out)) if cid in wanted]
    assert printed == ["rootwatch.control.cis_v700_2_2", "rootwatch.control.cis_v700_2_4", "rootwatch.control.cis_v700_5_3"]
    for qualified in printed:
        short = qualified.rpartition(".")[2]
        for name in (qualified, short):
            code, shown, err = run_cli("control", "show", name)
            assert code == 0 and short in shown, (name, err)
        code, out, err = run_cli("control", "run", qualified, "--snapshot", str(example), "--output", "json")
        assert code in (0, 1) and _control_ids(_json(out)) == [f"rootwatch.control.{short}"], err
    # --where compares the id as the export printed it
    code, out, err = run_cli(
        "benchmark", "run", "cis_v700", "--snapshot", str(example), "--output", "csv",
        "--where", "control_id = 'rootwatch.control.cis_v700_2_4'",
    )  # fmt: skip
    assert code == 1, err
    assert {row["control_id"] for row in csv.DictReader(io.StringIO(out))} == {"rootwatch.control.cis_v700_2_4"}
    code, out, _ = run_cli(
        "benchmark", "run", "cis_v700", "--snapshot", str(example), "--output", "csv",
        "--where", "control_id like 'rootwatch.control.cis_v700_2_%' and control is not null",
    )  # fmt: skip
    assert {row["control_id"] for row in csv.DictReader(io.StringIO(out))} >= {"rootwatch.control.cis_v700_2_4"}


def test_qualified_benchmark_and_generator_ids(run_cli, example: Path) -> None:
    code, out, err = run_cli("benchmark", "run", "rootwatch.benchmark.cis_v400", "--snapshot", str(example), "--output", "json")
    assert code == 1, err
    assert _json(out)["groups"][0]["group_id"] == "rootwatch.benchmark.cis_v400"
    code, out, err = run_cli("control", "run", "rootwatch/root_mfa_enabled", "--snapshot", str(example), "--output", "brief")
    assert code == 1 and "root_mfa_enabled" in out, err
    code, out, err = run_cli("query", "run", "rootwatch.query.root_activity", "--snapshot", str(example), "--output", "csv")
    assert code == 0 and out.startswith("event_time,"), err


def test_a_cis_item_runs_with_its_versions_semantics(run_cli, example: Path) -> None:
    """CIS v4.0.0 1.5 (MFA, classic meaning) and v5.0.0 1.4 (MFA or no password) grade the
    credentials-removed account apart: the item, not just its control name, decides."""
    _, out4, _ = run_cli("control", "run", "cis_v400_1_5", "--snapshot", str(example), "--output", "csv")
    _, out5, _ = run_cli("control", "run", "cis_v500_1_4", "--snapshot", str(example), "--output", "csv")
    v4 = {row["account_id"]: row for row in csv.DictReader(io.StringIO(out4))}
    v5 = {row["account_id"]: row for row in csv.DictReader(io.StringIO(out5))}
    assert {v4["555555555555"]["status"], v5["555555555555"]["status"]} == {"skip", "ok"}
    assert v4["555555555555"]["cis_item_id"] == "1.5" and v4["555555555555"]["cis_version"] == "v4.0.0"
    code, out, _ = run_cli("control", "run", "cis_v700_2_2", "--snapshot", str(example), "--output", "text")
    assert code == 0 and "skip (not assessed by this mod)" in out


def test_names_of_the_wrong_kind_point_at_the_right_command(run_cli) -> None:
    code, _, err = run_cli("control", "run", "rootwatch.benchmark.cis_v700", "--dry-run")
    assert code == 3 and err == (
        "rootwatch: error: 'rootwatch.benchmark.cis_v700' is a benchmark, not a control\n"
        "  hint: rootwatch benchmark run cis_v700\n"
    )
    code, _, err = run_cli("benchmark", "run", "cis_v700_2_4", "--dry-run")
    assert code == 3 and "'cis_v700_2_4' is a benchmark item (a control), not a benchmark" in err
    code, _, err = run_cli("benchmark", "run", "cis_v7000", "--dry-run")
    assert code == 3 and "unknown benchmark 'cis_v7000'" in err and "did you mean 'cis_v700'?" in err


def test_benchmark_run_all_and_dry_run(run_cli, example: Path) -> None:
    code, out, err = run_cli("benchmark", "run", "all", "--dry-run", "--snapshot", str(example))
    assert code == 0 and err == ""
    assert out.splitlines()[-1] == (
        "Would grade 635 controls (85 assessed, 550 not assessed), executing 11 SQL controls "
        f"on snapshot {example}; nothing was run."
    )
    code, out, err = run_cli("benchmark", "run", "all", "--snapshot", str(example), "--output", "json")
    assert code == 1, err
    assert [g["group_id"] for g in _json(out)["groups"]][:3] == ["rootwatch.benchmark.root", "rootwatch.benchmark.fsbp", "rootwatch.benchmark.cis_v120"]
    # --dry-run applies the selection, needs no data source and keeps machine output clean
    code, out, err = run_cli("benchmark", "run", "cis_v700", "--dry-run", "--tag", "cis_level=2", "--output", "json")
    assert code == 0 and all(row["id"].startswith("cis_v700_") for row in json.loads(out))
    assert err.endswith("(no data source given); nothing was run.\n")


def test_a_duckdb_url_opens_a_snapshot(run_cli, example: Path) -> None:
    code, out, err = run_cli("control", "run", "root_no_access_keys", "--database", f"duckdb://{example}", "--output", "brief")
    assert code == 1 and f"snapshot {example}" not in err and "333333333333" in out, err
    code, _, err = run_cli("control", "run", "root_no_access_keys", "--database", f"duckdb://{example}", "--search-path", "aws")
    assert code == 3 and "--search-path applies to a live --database only" in err


def test_exports_say_what_they_wrote_on_stderr(run_cli, example: Path, tmp_path: Path) -> None:
    code, out, err = run_cli(
        "benchmark", "run", "cis_v700", "--snapshot", str(example), "--output", "none",
        "--export", str(tmp_path / "r.json"), "--export", str(tmp_path / "r.nunit3.xml"),
    )  # fmt: skip
    assert (code, out) == (1, "")
    assert err == (
        f"rootwatch: wrote {tmp_path / 'r.json'}: json, 111 results\n"
        f"rootwatch: wrote {tmp_path / 'r.nunit3.xml'}: nunit3, 111 results\n"
    )
    code, out, err = run_cli("query", "run", "root_activity", "--snapshot", str(example), "--export", str(tmp_path / "a.csv"))
    assert code == 0 and err == f"rootwatch: wrote {tmp_path / 'a.csv'}: csv, 5 rows\n"
    code, out, err = run_cli("snapshot", "merge", str(example), "-o", str(tmp_path / "m.duckdb"))
    assert code == 0 and out == ""
    assert err.startswith(f"rootwatch: wrote {tmp_path / 'm.duckdb'}: 6 accounts, ")


def test_control_run_offers_no_cis_table(run_cli, example: Path) -> None:
    code, out, _ = run_cli("control", "run", "--help")
    assert code == 0 and "cis-" not in out and "nunit3" in out
    code, _, err = run_cli("control", "run", "root_mfa_enabled", "--snapshot", str(example), "--export", "audit.xlsx")
    assert code == 3 and "a table of a CIS benchmark's items, and 'control run' runs none" in err


def test_counts_agree_between_list_run_and_cis_table(run_cli, example: Path, tmp_path: Path) -> None:
    _, listing, _ = run_cli("benchmark", "list", "--output", "csv")
    row = next(r for r in csv.DictReader(io.StringIO(listing)) if r["benchmark"] == "cis_v700")
    assert (row["controls"], row["assessed"], row["not assessed"]) == ("71", "8", "63")
    _, text, _ = run_cli("benchmark", "run", "cis_v700", "--snapshot", str(example), "--export", str(tmp_path / "t.cis.md"))
    assert "111 results, 71 controls (8 assessed, 63 not assessed)" in text
    table = (tmp_path / "t.cis.md").read_text()
    assert "70 items (7 assessed, 63 not assessed) and 1 evidence prerequisite" in table
    _, checked, _ = run_cli("check")
    assert "12 benchmarks (and 97 nested benchmarks, such as CIS sections)" in checked


def test_text_folds_items_not_assessed_unless_verbose(run_cli, example: Path) -> None:
    _, folded, _ = run_cli("benchmark", "run", "cis_v700", "--snapshot", str(example))
    assert "    - 16 items not assessed by this mod: 2.2, 2.3, 2.8 to 2.21 (--verbose lists them)" in folded.splitlines()
    assert "  - 3 Storage  9 items not assessed by this mod" in folded.splitlines()
    assert "| ALARM  333333333333 (example-legacy)  Root user has 1 access key" in folded
    _, verbose, _ = run_cli("benchmark", "run", "cis_v700", "--snapshot", str(example), "--verbose")
    assert "    - 2.2 Maintain current AWS account contact details  skip (not assessed by this mod)" in verbose.splitlines()
    assert len(verbose.splitlines()) > len(folded.splitlines()) + 50


@pytest.mark.postgres
def test_a_search_path_without_the_tables_is_one_message(run_cli, pg_dsn: str) -> None:
    import psycopg

    from rootwatch.cases import drop_postgres_schema, postgres_schema_with_rows

    with psycopg.connect(pg_dsn) as connection:
        schema = postgres_schema_with_rows(connection, {"aws_account": [{"account_id": "111111111111", "partition": "aws"}]})
        connection.commit()
        try:
            code, out, err = run_cli("benchmark", "run", "root", "--database", pg_dsn)
            assert (code, out) == (3, "")
            assert err.count("rootwatch: error:") == 1 and "has no aws_account table on its search path" in err
            assert f"--search-path {schema}" in err and f"schemas here with the mod's tables: {schema}" in err
            code, out, err = run_cli("benchmark", "run", "root", "--database", pg_dsn, "--search-path", schema, "--output", "brief")
            assert code in (0, 1, 2) and "Summary" in out, err
        finally:
            drop_postgres_schema(connection, schema)
            connection.commit()


def test_the_html_report_draws_the_example_organisations_pictures(run_cli, example: Path, tmp_path: Path) -> None:
    report = tmp_path / "report.html"
    code, _, err = run_cli("benchmark", "run", "root", "cis_v700", "--snapshot", str(example), "--output", "none", "--export", str(report))
    assert code == 1, err
    page = report.read_text()
    # the five root events of examples/org: one dot per account, day and credential, one failed
    counts = [int(n) for n in re.findall(r'<circle class="event[^"]*" [^>]*data-count="(\d+)"', page)]
    assert (len(counts), sum(counts), page.count('class="event failed"')) == (4, 5, 1)
    assert page.count('<svg class="alert-chain"') == 6 and 'data-missing=""' in page
    assert "2026-11-20 09:00 UTC" in page and "333333333333 (example-legacy)" in page
