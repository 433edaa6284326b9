"""The CIS catalogue (cis/): every version file against the reference list, the generator that
writes them, and a new CIS version added as data only."""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from helpers.mods import REPO
from helpers.snapshots import keys_snapshot

from rootwatch.mod.cis import benchmark_id, version_files
from rootwatch.mod.cis_list import read_recommendation_list

REFERENCE = REPO.parent / "shared" / "reference" / "cis_aws_foundations.csv"
GENERATOR = REPO / "scripts" / "gen-cis-catalogue"


def _reference() -> Path:
    if not REFERENCE.is_file():
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"the reference list {REFERENCE} is required under CI=true")
        pytest.skip(f"no reference list at {REFERENCE} (the CI clone has ../shared beside it)")
    return REFERENCE


def _version_rows(path: Path) -> list[tuple[str, str, str, str, str]]:
    """(item, section title, title, level, assessment) of a version file, in file order."""
    data = yaml.safe_load(path.read_text("utf-8"))
    rows = []
    for rec in data["recommendations"]:
        section = rec["item"].rsplit(".", 1)[0]
        rows.append((rec["item"], data["sections"][section], rec["title"], str(rec["level"]), rec["type"]))
    return rows


def test_every_version_file_matches_the_reference_list() -> None:
    reference = read_recommendation_list(_reference())
    files = version_files(REPO)
    assert [p.stem for p in files] == [f"v{v}" for v in dict.fromkeys(r.version for r in reference)]
    for path in files:
        expected = [(r.item, r.section, r.title, r.level, r.assessment) for r in reference if f"v{r.version}" == path.stem]
        assert _version_rows(path) == expected, path.name


def test_benchmark_ids_come_from_the_file_names(mod) -> None:
    cis = [b for b in mod.benchmarks.values() if b.cis_version]
    assert [b.id for b in cis] == [benchmark_id(p.stem) for p in version_files(REPO)]
    assert benchmark_id("v7.0.0") == "cis_v700" and benchmark_id("v10.1.0") == "cis_v1010"


def _list_from_files(mod_dir: Path, target: Path, *, rename: dict[str, str] | None = None) -> Path:
    """The normalised list (with controls and heading rows) the version files were written from."""
    with target.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["version", "item", "section", "title", "level", "assessment", "control"])
        for path in version_files(mod_dir):
            data = yaml.safe_load(path.read_text("utf-8"))
            version = (rename or {}).get(path.stem[1:], path.stem[1:])
            direct = {rec["item"].rsplit(".", 1)[0] for rec in data["recommendations"]}
            for number, title in data["sections"].items():
                if number not in direct:
                    writer.writerow([version, number, "", title, "", "", ""])
            for rec in data["recommendations"]:
                section = data["sections"][rec["item"].rsplit(".", 1)[0]]
                writer.writerow([version, rec["item"], section, rec["title"], rec["level"], rec["type"], rec.get("control", "")])
    return target


def _generate(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(GENERATOR), *args], capture_output=True, text=True, check=False)


def test_the_generator_writes_the_version_files_back_byte_for_byte(tmp_path: Path) -> None:
    listing = _list_from_files(REPO, tmp_path / "list.csv")
    result = _generate(str(listing), "--mod", str(tmp_path))
    assert result.returncode == 0, result.stderr
    for path in version_files(REPO):
        assert (tmp_path / "cis" / path.name).read_text("utf-8") == path.read_text("utf-8"), path.name


def _mod_copy(tmp_path: Path) -> Path:
    mod_dir = tmp_path / "mod"
    for name in ("controls", "queries", "cis"):
        shutil.copytree(REPO / name, mod_dir / name)
    shutil.copy(REPO / "mod.yaml", mod_dir / "mod.yaml")
    return mod_dir


def test_a_new_cis_version_is_a_data_change_only(tmp_path: Path, capsys) -> None:
    """CIS v8.0.0 as the reference list would bring it (no control column): the generator writes
    cis/v8.0.0.yaml carrying v7.0.0's controls over by title, and the mod runs it."""
    from rootwatch.cli.main import main

    mod_dir = _mod_copy(tmp_path)
    v7 = [r for r in read_recommendation_list(_list_from_files(REPO, tmp_path / "all.csv")) if r.version == "7.0.0"]
    listing = tmp_path / "v8.csv"
    with listing.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["version", "item", "section", "title", "level", "assessment", "steampipe_query"])
        for row in v7:
            # v8 renumbers nothing but rewords one recommendation the mod grades: a changed title
            # is not carried over (its meaning may have changed) and so is listed, not assessed.
            title = "Ensure the root user has no access keys (reworded)" if row.item == "2.4" else row.title
            writer.writerow(["8.0.0", row.item, row.section, title, row.level, row.assessment, ""])
    result = _generate(str(listing), "--mod", str(mod_dir), "--only", "8.0.0")
    assert result.returncode == 0, result.stderr
    assert "v8.0.0 2.5 root_mfa_enabled_or_no_password (as in v7.0.0: review)" in result.stderr

    snapshot = keys_snapshot(tmp_path / "org.duckdb", {"111111111111": 1})
    code = main(
        ["benchmark", "run", "cis_v800", "--mod-location", str(mod_dir), "--snapshot", str(snapshot),
         "--as-of", "2026-11-25T12:00:00Z", "--output", "json"]
    )  # fmt: skip
    document = json.loads(capsys.readouterr().out)
    assert code in (1, 2)
    assert document["groups"][0]["group_id"].endswith("cis_v800")
    assert document["groups"][0]["title"] == "CIS AWS Foundations Benchmark v8.0.0"
    controls = {}

    def walk(group: dict) -> None:
        for control in group["controls"]:
            controls[control["control_id"].rsplit(".", 1)[-1]] = control
        for child in group["groups"]:
            walk(child)

    walk(document["groups"][0])
    assert len([c for c in controls if c.startswith("cis_v800_")]) == len([r for r in v7 if not r.is_heading])
    assert controls["cis_v800_2_5"]["tags"]["cis_version"] == "v8.0.0"
    assert [r["status"] for r in controls["cis_v800_2_5"]["results"]] != ["skip"]
    assert controls["cis_v800_2_4"]["results"][0]["reason"].startswith("not assessed")
