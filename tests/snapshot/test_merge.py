"""``rootwatch snapshot merge``: per-account snapshots into one, duplicates, metadata, bad inputs."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import duckdb
import pytest

from rootwatch.cli.main import main
from rootwatch.snapshot.metadata import AccountInfo, SnapshotIssue, read_snapshot_info
from rootwatch.snapshot.writer import SnapshotWriter
from helpers.snapshots import grade_root, query

T0 = datetime(2026, 11, 25, 9, 0, tzinfo=timezone.utc)


def _rows(account: str, *, keys: int, user: str = "dev") -> dict[str, list[dict[str, Any]]]:
    glob = {"partition": "aws", "region": "global", "account_id": account}
    return {
        "aws_account": [{**glob, "arn": f"arn:aws:::{account}"}],
        "aws_iam_account_summary": [{**glob, "account_access_keys_present": keys, "account_mfa_enabled": True, "account_password_present": True}],
        "aws_iam_credential_report": [
            {
                **glob,
                "user_name": "<root_account>",
                "user_arn": f"arn:aws:iam::{account}:root",
                "generated_time": "2026-11-25T08:00:00Z",
                "password_enabled": True,
                "password_status": "used",
                "mfa_active": True,
                "access_key_1_active": keys > 0,
                "access_key_1_last_rotated": "2024-01-10T09:00:00Z" if keys else None,
                "access_key_2_active": False,
                "cert_1_active": False,
                "cert_2_active": False,
            },
            {**glob, "user_name": user, "user_arn": f"arn:aws:iam::{account}:user/{user}", "generated_time": "2026-11-25T08:00:00Z", "mfa_active": False},
        ],
        "aws_cloudtrail_trail": [
            {**glob, "region": region, "name": "main", "home_region": "us-east-1", "is_multi_region_trail": True, "is_logging": True}
            for region in ("us-east-1", "eu-west-1")
        ],
    }


def _snapshot(path: Path, account: str, captured_at: datetime, *, keys: int = 0, user: str = "dev", issue: str | None = None) -> Path:
    with SnapshotWriter(path, source="aws", captured_at=captured_at, source_detail=f"profile {account}") as writer:
        for table, rows in _rows(account, keys=keys, user=user).items():
            writer.add_rows(table, rows)
        writer.add_account(AccountInfo(account, ("eu-west-1", "us-east-1"), T0 - timedelta(hours=1), f"aws profile {account}"))
        if issue:
            writer.add_issue(SnapshotIssue("error", issue, account, "ap-south-1", "cloudwatch"))
    return path


def _run(*args: str) -> int:
    return main(["snapshot", "merge", *args, "--no-progress"])


def _info(path: Path):  # noqa: ANN202
    con = duckdb.connect(str(path), read_only=True)
    try:
        return read_snapshot_info(con)
    finally:
        con.close()


def _total_rows(path: Path) -> int:
    """Rows in every table of a snapshot."""
    from rootwatch.schema.tables import load_tables

    return sum(query(path, f'SELECT count(*) FROM "{t}"')[0][0] for t in load_tables())


def test_merge_keeps_every_account_and_grades_like_the_rows_loaded_directly(tmp_path: Path, capsys) -> None:
    from rootwatch.cases import duckdb_with_rows
    from rootwatch.engines.duckdb_engine import DuckDBEngine

    a = _snapshot(tmp_path / "a.duckdb", "111111111111", T0, keys=1)
    b = _snapshot(tmp_path / "b.duckdb", "222222222222", T0 + timedelta(minutes=30), issue="AccessDenied: logs:DescribeMetricFilters")
    out = tmp_path / "org.duckdb"
    assert _run(str(a), str(b), "-o", str(out)) == 0
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err.startswith(f"rootwatch: wrote {out}: 2 accounts, 12 rows, 1 issue")

    info = _info(out)
    assert info.source == "merge" and info.source_detail == "2 snapshots: a.duckdb, b.duckdb"
    assert info.captured_at == T0 + timedelta(minutes=30), "the latest input's capture time is the default as-of"
    assert info.accounts == (
        AccountInfo("111111111111", ("eu-west-1", "us-east-1"), T0 - timedelta(hours=1), "aws profile 111111111111 [a.duckdb]", T0),
        AccountInfo("222222222222", ("eu-west-1", "us-east-1"), T0 - timedelta(hours=1), "aws profile 222222222222 [b.duckdb]", T0 + timedelta(minutes=30)),
    )
    assert info.issues == (SnapshotIssue("error", "AccessDenied: logs:DescribeMetricFilters", "222222222222", "ap-south-1", "cloudwatch"),)

    given: dict[str, list] = {}
    for account, keys in (("111111111111", 1), ("222222222222", 0)):
        for table, rows in _rows(account, keys=keys).items():
            given.setdefault(table, []).extend(rows)
    merged, direct = DuckDBEngine.open(out), DuckDBEngine.from_connection(duckdb_with_rows(given))
    try:
        graded = grade_root(merged)  # the merged capture time as the as-of
        assert graded == grade_root(direct, info.captured_at)
        statuses = {(c, r): s for c, r, s, _, _ in graded}
        assert statuses[("root_no_access_keys", "arn:aws:iam::111111111111:root")] == "alarm"
        assert statuses[("root_no_access_keys", "arn:aws:iam::222222222222:root")] == "ok"
    finally:
        merged.close()
        direct.close()


def test_duplicate_account_is_an_error_naming_both_files(tmp_path: Path, capsys) -> None:
    a = _snapshot(tmp_path / "a.duckdb", "111111111111", T0)
    b = _snapshot(tmp_path / "b.duckdb", "111111111111", T0 + timedelta(hours=1))
    out = tmp_path / "org.duckdb"
    assert _run(str(a), str(b), "-o", str(out)) == 3
    err = capsys.readouterr().err
    assert f"account 111111111111 is in both {a} and {b}" in err and "--prefer" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.duckdb", "b.duckdb"], "no output, no temporary file"


@pytest.mark.parametrize("batch", [1, 64], ids=["one_input_per_batch", "one_batch"])
@pytest.mark.parametrize(
    ("prefer", "winner"),
    [("newest", "b"), ("first", "a"), ("last", "c"), ("a", "a"), ("c", "c")],
)
def test_prefer_chooses_the_copy_that_wins(tmp_path: Path, prefer: str, winner: str, batch: int, monkeypatch, capsys) -> None:
    from rootwatch.snapshot import merge

    # With one input per batch, a copy already merged is deleted again when a later one wins.
    monkeypatch.setattr(merge, "ATTACH_BATCH", batch)
    files = {
        "a": _snapshot(tmp_path / "a.duckdb", "111111111111", T0, user="from_a"),
        "b": _snapshot(tmp_path / "b.duckdb", "111111111111", T0 + timedelta(hours=2), user="from_b"),
        "c": _snapshot(tmp_path / "c.duckdb", "111111111111", T0 + timedelta(hours=1), user="from_c"),
        "d": _snapshot(tmp_path / "d.duckdb", "222222222222", T0, user="other", issue="throttled"),
    }
    out = tmp_path / "org.duckdb"
    choice = str(files[prefer]) if prefer in files else prefer
    assert _run(*(str(p) for p in files.values()), "--prefer", choice, "-o", str(out)) == 0
    users = query(out, "SELECT account_id, user_name FROM aws_iam_credential_report WHERE user_name <> '<root_account>' ORDER BY 1")
    assert users == [("111111111111", f"from_{winner}"), ("222222222222", "other")]
    assert query(out, "SELECT count(*) FROM aws_cloudtrail_trail") == [(4,)], "the losers' rows are left out"
    assert query(out, "SELECT count(*) FROM aws_iam_credential_report") == [(4,)]
    assert _total_rows(out) == 12
    assert ", 12 rows, " in capsys.readouterr().err, "the summary counts what is left after deletions"
    info = _info(out)
    account = info.accounts[0]
    assert account.source.endswith(f"[{winner}.duckdb]") and account.captured_at == _info(files[winner]).captured_at
    superseded = sorted(i.source for i in info.issues if i.kind == "superseded")
    assert superseded == sorted(f"{k}.duckdb" for k in "abc" if k != winner)
    assert [i.message for i in info.issues if i.kind == "error"] == ["throttled"]


def test_prefer_file_must_hold_the_duplicate_or_be_an_input(tmp_path: Path, capsys) -> None:
    a = _snapshot(tmp_path / "a.duckdb", "111111111111", T0)
    b = _snapshot(tmp_path / "b.duckdb", "111111111111", T0)
    c = _snapshot(tmp_path / "c.duckdb", "333333333333", T0)
    out = tmp_path / "org.duckdb"
    assert _run(str(a), str(b), str(c), "--prefer", str(c), "-o", str(out)) == 3
    assert "account 111111111111 is in both" in capsys.readouterr().err
    assert _run(str(a), str(c), "--prefer", str(tmp_path / "elsewhere.duckdb"), "-o", str(out)) == 3
    assert "neither newest, first, last nor one of the input files" in capsys.readouterr().err
    assert not out.exists()


def test_bad_inputs_exit_3_naming_the_file(tmp_path: Path, capsys) -> None:
    good = _snapshot(tmp_path / "good.duckdb", "111111111111", T0)
    text = tmp_path / "notes.duckdb"
    text.write_text("not a database\n")
    plain = tmp_path / "plain.duckdb"
    con = duckdb.connect(str(plain))
    con.execute("CREATE TABLE aws_account (account_id VARCHAR)")
    con.close()
    future = _snapshot(tmp_path / "future.duckdb", "222222222222", T0)
    con = duckdb.connect(str(future))
    con.execute("UPDATE rootwatch_snapshot SET format_version = 99")
    con.close()
    out = tmp_path / "org.duckdb"
    out.write_bytes(b"previous output")
    cases = [
        (text, "not a DuckDB snapshot"),
        (plain, "not a rootwatch snapshot"),
        (future, "format version 99"),
        (tmp_path / "missing.duckdb", "no such snapshot file"),
    ]
    for bad, message in cases:
        assert _run(str(good), str(bad), "-o", str(out), "--force") == 3, bad
        err = capsys.readouterr().err
        assert f"{bad}: " in err and message in err, err
        assert "Traceback" not in err
    assert out.read_bytes() == b"previous output", "a failed merge leaves the old output alone"
    assert _run(str(good), "-o", str(out)) == 3
    assert "exists" in capsys.readouterr().err and out.read_bytes() == b"previous output"
    assert _run(str(good), str(good), "-o", str(tmp_path / "x.duckdb")) == 3
    assert "given twice" in capsys.readouterr().err


def test_merge_of_merges_keeps_provenance(tmp_path: Path) -> None:
    parts = [_snapshot(tmp_path / f"p{n}.duckdb", f"{n:012d}", T0 + timedelta(minutes=n)) for n in range(1, 5)]
    assert _run(str(parts[0]), str(parts[1]), "-o", str(tmp_path / "left.duckdb")) == 0
    assert _run(str(parts[2]), str(parts[3]), "-o", str(tmp_path / "right.duckdb")) == 0
    out = tmp_path / "all.duckdb"
    assert _run(str(tmp_path / "left.duckdb"), str(tmp_path / "right.duckdb"), "-o", str(out)) == 0
    info = _info(out)
    assert info.captured_at == T0 + timedelta(minutes=4)
    assert [a.captured_at for a in info.accounts] == [T0 + timedelta(minutes=n) for n in range(1, 5)]
    assert info.accounts[0].source == "aws profile 000000000001 [p1.duckdb] [left.duckdb]"
    assert query(out, "SELECT count(*) FROM aws_iam_credential_report") == [(8,)]


def test_a_logging_accounts_events_of_members_do_not_make_it_own_them(tmp_path: Path, capsys) -> None:
    # The logging account's bucket holds member 222222222222's trail events; the member's own
    # capture holds its configuration. Merged, both survive: events do not claim an account.
    logging = tmp_path / "logging.duckdb"
    with SnapshotWriter(logging, source="files", captured_at=T0) as writer:
        for table, rows in _rows("111111111111", keys=0).items():
            writer.add_rows(table, rows)
        writer.add_rows("aws_cloudtrail_trail_event", [{
            "partition": "aws", "region": "us-east-1", "account_id": "222222222222", "log_group_name": "org-trail",
            "log_stream_name": "AWSLogs/o-1/222222222222/CloudTrail/us-east-1/x.json.gz", "event_id": "e-1",
            "event_name": "ConsoleLogin", "event_time": "2026-11-20T10:00:00Z", "user_type": "Root",
        }])  # fmt: skip
        writer.add_account(AccountInfo("111111111111", ("us-east-1",), T0, "files"))
    member = _snapshot(tmp_path / "member.duckdb", "222222222222", T0)
    out = tmp_path / "org.duckdb"
    assert _run(str(logging), str(member), "-o", str(out)) == 0, capsys.readouterr().err
    assert query(out, "SELECT account_id, count(*) FROM aws_iam_credential_report GROUP BY 1 ORDER BY 1") == [
        ("111111111111", 2), ("222222222222", 2)
    ]
    assert query(out, "SELECT account_id, event_id FROM aws_cloudtrail_trail_event") == [("222222222222", "e-1")]
