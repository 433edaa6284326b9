"""What the command says about its input before any AWS call: a control that cannot run on the
source is never "nothing to remediate"."""

from __future__ import annotations

from pathlib import Path

import duckdb
from helpers.remediation import remediate


def test_a_control_that_cannot_run_is_not_nothing_to_do(tmp_path: Path, capsys) -> None:
    source = tmp_path / "not-a-snapshot.duckdb"
    connection = duckdb.connect(str(source))
    connection.execute("CREATE TABLE unrelated (a INTEGER)")
    connection.close()
    assert remediate("root_no_access_keys", "--snapshot", str(source)) == 3
    captured = capsys.readouterr()
    assert captured.out == ""
    assert f"rootwatch: error: snapshot {source} is not a rootwatch snapshot: it has no aws_account table" in captured.err


def test_no_data_source_is_a_usage_error(capsys, monkeypatch) -> None:
    monkeypatch.delenv("ROOTWATCH_SNAPSHOT", raising=False)
    monkeypatch.delenv("ROOTWATCH_DATABASE", raising=False)
    assert remediate() == 3
    assert "no data source: pass --snapshot PATH" in capsys.readouterr().err
