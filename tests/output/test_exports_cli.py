"""``--export`` through the command line: several formats from one run, written atomically."""

from __future__ import annotations

import csv
import io
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from helpers.mods import scratch_mod
from helpers.snapshots import keys_snapshot

from rootwatch.cli.main import main
from rootwatch.errors import UsageError

EXPORTS = {
    "csv": "results.csv",
    "json": "results.json",
    "md": "results.md",
    "junit": "results.junit.xml",
    "asff": "results.asff.json",
    "ocsf": "results.ocsf.json",
    "text": "results.txt",
}


@pytest.fixture()
def setup(tmp_path: Path, monkeypatch) -> tuple[Path, Path, Path]:
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.delenv("ROOTWATCH_FINDINGS_REGION", raising=False)
    mod = scratch_mod(tmp_path / "mod", broken=True)
    snapshot = keys_snapshot(tmp_path / "org.duckdb", {"111111111111": 0, "222222222222": 2})
    out = tmp_path / "out"
    out.mkdir()
    return mod, snapshot, out


def _run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _benchmark_run(mod: Path, snapshot: Path, *extra: str) -> list[str]:
    return ["benchmark", "run", "root", "cis_v700", "--mod-location", str(mod), "--snapshot", str(snapshot), *extra]


def _exports(out: Path) -> list[str]:
    return [arg for name in EXPORTS for arg in ("--export", str(out / EXPORTS[name]))]


def test_every_export_comes_from_the_same_results(setup, capsys) -> None:
    mod, snapshot, out = setup
    code, stdout, stderr = _run(capsys, *_benchmark_run(mod, snapshot, "--output", "json", *_exports(out)))
    assert code == 2, stderr  # the broken control is an error
    assert sorted(p.name for p in out.iterdir()) == sorted(EXPORTS.values())  # no temporary files left

    assert (out / EXPORTS["json"]).read_text() == stdout  # the printed and the exported JSON agree
    document = json.loads(stdout)
    csv_rows = list(csv.DictReader(io.StringIO((out / EXPORTS["csv"]).read_text())))

    def json_results(group: dict) -> list[tuple[str, str, str]]:
        found = []
        for control in group["controls"]:
            if control["run_error"]:
                found.append((control["control_id"], "", "error"))
            found += [(control["control_id"], r["resource"], r["status"]) for r in control["results"]]
        for child in group["groups"]:
            found += json_results(child)
        return found

    from_json = json_results(document)
    from_csv = [(r["control_id"], r["resource"], r["status"]) for r in csv_rows]
    assert sorted(from_csv) == sorted(from_json)
    assert len(from_json) == sum(document["summary"]["status"].values()) == 10

    junit = ET.parse(out / EXPORTS["junit"]).getroot()
    assert int(junit.get("tests")) == len(from_json)
    assert int(junit.get("failures")) == document["summary"]["status"]["alarm"] == 2
    assert int(junit.get("errors")) == document["summary"]["status"]["error"] == 1

    asff = json.loads((out / EXPORTS["asff"]).read_text())
    ocsf = json.loads((out / EXPORTS["ocsf"]).read_text())
    # Everything but the not-assessed item; the broken control's error fans out to both accounts.
    assert len(asff) == len(ocsf) == len(from_json) - 1 + 1
    assert [f["Id"] for f in asff] == [e["finding_info"]["uid"] for e in ocsf]
    assert sum(f["Compliance"]["Status"] == "FAILED" for f in asff) == 2
    assert "Summary  alarm 2  error 1  ok 2  info 4  skip 1" in (out / EXPORTS["text"]).read_text()
    assert "| ALARM | 222222222222 | " in (out / EXPORTS["md"]).read_text()


def test_format_prefix_overrides_the_extension(setup, capsys) -> None:
    mod, snapshot, out = setup
    target = out / "findings.data"
    code, _, stderr = _run(capsys, *_benchmark_run(mod, snapshot, "--output", "none", "--export", f"ocsf:{target}"))
    assert code == 2, stderr
    assert json.loads(target.read_text())[0]["class_uid"] == 2003


def test_a_format_that_fails_leaves_every_file_as_it_was(setup, capsys, monkeypatch) -> None:
    mod, snapshot, out = setup
    for name in EXPORTS.values():
        (out / name).write_text(f"previous {name}\n")

    def refuse(result) -> str:
        raise UsageError("asff export refused for this test")

    monkeypatch.setattr("rootwatch.output.asff.render", refuse)
    code, stdout, stderr = _run(capsys, *_benchmark_run(mod, snapshot, *_exports(out)))
    assert code == 3
    assert stderr == "rootwatch: error: asff export refused for this test\n"
    assert stdout == ""
    assert sorted(p.name for p in out.iterdir()) == sorted(EXPORTS.values())
    for name in EXPORTS.values():
        assert (out / name).read_text() == f"previous {name}\n"  # even the formats rendered before asff


def test_a_write_that_fails_leaves_the_previous_file_and_no_temporary(setup, capsys, monkeypatch) -> None:
    mod, snapshot, out = setup
    target = out / "results.json"
    target.write_text("previous\n")

    def disk_full(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("rootwatch.atomic.os.fsync", disk_full)
    code, _, stderr = _run(capsys, *_benchmark_run(mod, snapshot, "--output", "none", "--export", str(target)))
    assert code == 3, stderr  # the file system's complaint, named with the file, is the user's to fix
    assert f"cannot write {target}: No space left on device" in stderr
    assert target.read_text() == "previous\n"
    assert [p.name for p in out.iterdir()] == ["results.json"]


def test_status_filter_applies_to_exports_but_not_the_exit_code(setup, capsys) -> None:
    mod, snapshot, out = setup
    code, stdout, stderr = _run(
        capsys, *_benchmark_run(mod, snapshot, "--status", "alarm", "--output", "brief", *_exports(out))
    )
    assert code == 2  # the broken control's error still decides the exit code
    assert "the exit code (2) reflects the whole run" in stderr
    rows = list(csv.DictReader(io.StringIO((out / EXPORTS["csv"]).read_text())))
    assert {r["status"] for r in rows} == {"alarm"} and len(rows) == 2
    document = json.loads((out / EXPORTS["json"]).read_text())
    assert document["summary"]["status"] == {"alarm": 2, "ok": 0, "info": 0, "skip": 0, "error": 0}
    assert document["rootwatch"]["exit_code"] == 2
    assert [f["Compliance"]["Status"] for f in json.loads((out / EXPORTS["asff"]).read_text())] == ["FAILED", "FAILED"]
    assert stdout.splitlines()[:2] == [
        "ALARM  root_no_access_keys  222222222222  Root user has 2 access keys (account summary); "
        "no credential report to say which (run aws iam generate-credential-report).",
        "ALARM  cis_v700_2_4  222222222222  Root user has 2 access keys (account summary); "
        "no credential report to say which (run aws iam generate-credential-report).",
    ]


def test_a_control_run_exports_every_format(setup, capsys) -> None:
    # A control run has no benchmark around its controls; every format must still render it
    # (the HTML report once failed on exactly this).
    mod, snapshot, out = setup
    formats = ["csv", "json", "md", "junit", "asff", "ocsf", "html", "text"]
    args = ["control", "run", "root_no_access_keys", "--mod-location", str(mod), "--snapshot", str(snapshot)]
    code, _, err = _run(capsys, *args, "--output", "none", *[f"--export={fmt}:{out / fmt}" for fmt in formats])
    assert code == 1, err
    assert sorted(p.name for p in out.iterdir()) == sorted(formats)
    assert "Root user has no access keys" in (out / "html").read_text()
