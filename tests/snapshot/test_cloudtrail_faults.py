"""CloudTrail log files that must not build a snapshot silently (issue 11): each is named, exit 3,
or with --skip-bad-files left out and recorded; and a log file on one long line is read in
windows, with the same rows as the whole-file reference."""

from __future__ import annotations

import gzip
import json
import os
import re
from pathlib import Path
from typing import Any

import duckdb
import pytest

from helpers.cloudtrail import gzip_records
from rootwatch.snapshot import cloudtrail_records
from rootwatch.snapshot.cloudtrail_logs import EventSelection, find_log_files, load_log_files, log_file_rows
from rootwatch.snapshot.cloudtrail_view import RECORD_FILES_TABLE
from rootwatch.snapshot.writer import SnapshotWriter

ACCOUNT = "123456789012"
KEY = f"AWSLogs/{ACCOUNT}/CloudTrail/us-east-1/2026/11/19/{ACCOUNT}_CloudTrail_us-east-1_20261119T0815Z_a.json.gz"
EMPTY = 'empty file (a CloudTrail log file is {"Records": [...]})'


def root_record(n: int, **extra: Any) -> dict[str, Any]:
    return {"eventVersion": "1.11", "eventTime": f"2026-11-19T08:{n % 60:02d}:00Z", "eventSource": "s3.amazonaws.com",
            "eventName": "ListBuckets", "eventID": f"e{n:05d}", "readOnly": True, "awsRegion": "us-east-1",
            "userIdentity": {"type": "Root", "arn": f"arn:aws:iam::{ACCOUNT}:root", "accountId": ACCOUNT}, **extra}


def other_record(n: int) -> dict[str, Any]:
    return {"eventTime": "2026-11-19T08:00:00Z", "eventID": f"o{n:05d}", "eventName": "GetObject",
            "requestParameters": {"policy": '{"a":1},{"b":[2]}', "key": "x" * (n % 50)},
            "userIdentity": {"type": "AssumedRole", "arn": f"arn:aws:sts::{ACCOUNT}:assumed-role/App/s"}}


def capture(tmp_path: Path, body: bytes, key: str = KEY) -> tuple[Path, Path]:
    """A from-files folder with a good log and the log ``body`` (gzip bytes) under ``key``."""
    good = tmp_path / "in" / key.replace("_a.json.gz", "_good.json.gz")
    good.parent.mkdir(parents=True, exist_ok=True)
    good.write_bytes(gzip_records([root_record(1)]))
    bad = tmp_path / "in" / key
    bad.write_bytes(body)
    return tmp_path / "in", bad


BAD_LOGS = {
    "empty gzip": (gzip.compress(b""), None, EMPTY),
    "gzip of blanks": (gzip.compress(b" \n\t\n"), None, EMPTY),
    "records not objects": (gzip.compress(b'{"Records": ["a", 1, null]}'), None, "Records[0] is not an object"),
    "a later record not an object": (gzip.compress(b'{"Records": [{"eventTime": "2026-11-19T08:00:00Z"}, 1]}'), None,
                                     "Records[1] is not an object"),
    "duplicated Records key": (gzip.compress(b'{"Records": [],\n "Records": [' + json.dumps(root_record(2)).encode() + b"]}"),
                               2, "invalid JSON at column 2: duplicate key 'Records' in one object"),
    "duplicated key in a root record": (gzip.compress(b'{"Records": [{"eventTime": "2026-11-19T08:00:00Z", "eventTime": "x", '
                                                      b'"userIdentity": {"type": "Root"}}]}'), None,
                                        "Records[0]: invalid JSON: duplicate key 'eventTime' in one object"),
    "duplicated key hiding a root record": (gzip.compress(b'{"Records": [{"eventTime": "2026-11-19T08:00:00Z", '
                                                          b'"userIdentity": {"type": "IAMUser", "type": "Root"}}]}'), None,
                                            "Records[0]: invalid JSON: duplicate key 'type' in one object"),
    "not gzip": (b"{}", None, "not a complete gzip file"),
    "truncated gzip": (gzip_records([root_record(3)])[:-9], None, "not a complete gzip file (incomplete or truncated stream)"),
    "not utf-8": (gzip.compress(b'{"Records": [{"eventName": "\xff"}]}'), None, "not UTF-8 text"),
    "trailing comma": (gzip.compress(b'{"Records": [{"eventName": "x",}]}'), 1, "invalid JSON at column 32: Expecting property name"),
}


ROOT_ONLY_FAULTS = {"duplicated key in a root record", "duplicated key hiding a root record"}
"""Seen only when records are parsed in Python: with every record DuckDB reads them and takes the
first value of a duplicated key (docs/snapshot-files.md says so, and what checking cost)."""


@pytest.mark.parametrize(("name", "events"), [(name, "root") for name in BAD_LOGS]
                         + [(name, "all") for name in BAD_LOGS if name not in ROOT_ONLY_FAULTS])
def test_a_bad_log_is_named_and_stops_the_build_or_is_skipped_and_recorded(run_cli, tmp_path: Path, name: str, events: str) -> None:
    body, line, message = BAD_LOGS[name]
    folder, bad = capture(tmp_path, body)
    out = tmp_path / "snap.duckdb"
    code, _, stderr = run_cli("snapshot", "from-files", str(folder), "-o", str(out), "--cloudtrail-events", events)
    location = f"{bad}:{line}" if line else str(bad)
    assert code == 3 and not out.exists(), stderr
    assert stderr.startswith(f"rootwatch: error: {location}: {message}"), stderr
    assert "Traceback" not in stderr

    code, _, stderr = run_cli("snapshot", "from-files", str(folder), "-o", str(out), "--skip-bad-files", "--cloudtrail-events", events)
    assert code == 0, stderr
    con = duckdb.connect(str(out), read_only=True)
    try:
        assert con.execute("select event_id from aws_cloudtrail_trail_event").fetchall() == [("e00001",)]
        (issue,) = con.execute("select kind, account_id, region, source, message from rootwatch_snapshot_issues").fetchall()
    finally:
        con.close()
    source = bad.relative_to(folder).as_posix() + (f":{line}" if line else "")
    assert issue[:4] == ("skipped_file", ACCOUNT, "us-east-1", source) and issue[4].startswith(message)


def test_an_unreadable_day_folder_is_named_not_read_as_empty(run_cli, tmp_path: Path, monkeypatch) -> None:
    """Evidence not captured is not "nothing there": a folder that cannot be listed is a bad input.
    (Injected: the tests run as root, whom permissions do not stop.)"""
    folder, _ = capture(tmp_path, gzip_records([root_record(4)]))
    day = folder / f"AWSLogs/{ACCOUNT}/CloudTrail/eu-west-1/2026/11/19"
    day.mkdir(parents=True)
    (day / "x.json.gz").write_bytes(gzip_records([root_record(5)]))
    real_scandir = os.scandir

    def scandir(path: Any = ".") -> Any:
        if isinstance(path, (str, os.PathLike)) and Path(path) == day:
            raise PermissionError(13, "Permission denied", str(day))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    out = tmp_path / "snap.duckdb"
    code, _, stderr = run_cli("snapshot", "from-files", str(folder), "-o", str(out))
    assert code == 3 and not out.exists(), stderr
    assert stderr.startswith(f"rootwatch: error: {day}: cannot read this folder (Permission denied): "
                             "the CloudTrail logs in it would be missed")
    code, _, stderr = run_cli("snapshot", "from-files", str(folder), "-o", str(out), "--skip-bad-files")
    assert code == 0, stderr
    con = duckdb.connect(str(out), read_only=True)
    try:
        assert con.execute("select kind, account_id, region, source from rootwatch_snapshot_issues").fetchall() == [
            ("skipped_file", ACCOUNT, "eu-west-1", day.relative_to(folder).as_posix())]
    finally:
        con.close()


def _one_line_log(path: Path, records: list[dict[str, Any]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(gzip_records(records))
    return path


@pytest.mark.parametrize("selection", list(EventSelection))
def test_a_long_one_line_log_is_cut_in_windows_with_the_reference_rows(tmp_path: Path, monkeypatch, selection: EventSelection) -> None:
    """A window far smaller than the file (and than some records) makes every cut case happen:
    cuts inside strings holding "},", inside nested objects, records longer than the window."""
    monkeypatch.setattr(cloudtrail_records, "WINDOW", 2048)
    records = [root_record(n, requestParameters={"note": "}," * (n % 7) + "z" * (n * 37 % 3000)}) if n % 5 == 0
               else other_record(n) for n in range(400)]
    path = _one_line_log(tmp_path / KEY, records)
    (log_file,), _ = find_log_files(tmp_path / "AWSLogs")
    parts = list(cloudtrail_records.record_parts(path))
    assert len(parts) > 20
    assert [json.loads(raw) for part in parts for raw in part.records] == records
    with SnapshotWriter(tmp_path / "s.duckdb", source="test") as writer:
        result = load_log_files(writer.connection, [log_file], selection)
        rows = writer.connection.execute("select event_id, cloudtrail_event::varchar from aws_cloudtrail_trail_event").fetchall()
    reference = log_file_rows(log_file, selection)
    assert result.rows == len(reference) == (400 if selection is EventSelection.ALL else 80)
    assert sorted((e, json.loads(c)) for e, c in rows) == sorted((r["event_id"], r["cloudtrail_event"]) for r in reference)


@pytest.mark.parametrize("whole_file_limit", [cloudtrail_records.STRICT_WHOLE_FILE_LIMIT, 0])
def test_a_syntax_error_far_into_a_long_log_is_located(tmp_path: Path, monkeypatch, whole_file_limit: int) -> None:
    """Located on the same line by the strict reader (the words of every JSON file) or, for a file
    too large to read whole, by the streaming cut."""
    monkeypatch.setattr(cloudtrail_records, "WINDOW", 1024)
    monkeypatch.setattr(cloudtrail_records, "STRICT_WHOLE_FILE_LIMIT", whole_file_limit)
    text = json.dumps({"Records": [other_record(n) for n in range(200)]}, indent=1)
    broken = text.replace('"o00150",', '"o00150"', 1)  # a missing comma on one line of many
    path = tmp_path / KEY
    path.parent.mkdir(parents=True)
    path.write_bytes(gzip.compress(broken.encode()))
    with pytest.raises(cloudtrail_records.BadLogFile) as caught:
        list(cloudtrail_records.record_parts(path))
    with pytest.raises(json.JSONDecodeError) as python:
        json.loads(broken)
    assert caught.value.problem.line == python.value.lineno > 1000
    assert caught.value.problem.message.startswith(f"invalid JSON at column {python.value.colno}: ")


def test_a_long_log_broken_at_its_end_leaves_none_of_its_rows(tmp_path: Path, monkeypatch) -> None:
    """Its first records were committed before the break was read: they are taken out again, and
    the good file holding the same key elsewhere (a second AWSLogs/ folder) is read again."""
    from rootwatch.snapshot import cloudtrail_load, cloudtrail_logs, cloudtrail_scan

    for module, name in ((cloudtrail_records, "WINDOW"), (cloudtrail_scan, "PART_BYTES"), (cloudtrail_logs, "BATCH_BYTES"),
                         (cloudtrail_load, "COMMIT_BYTES")):
        monkeypatch.setattr(module, name, 1024)
    monkeypatch.setattr(cloudtrail_load, "ROW_GROUP_ROWS", 3)  # a transaction ends every few records
    text = json.dumps({"Records": [root_record(n) for n in range(100)]})
    long_log = _one_line_log(tmp_path / "a" / KEY, [])
    long_log.write_bytes(gzip.compress(text[:-3].encode() + b"}"))  # the last record's end is lost
    twin = _one_line_log(tmp_path / "b" / KEY, [root_record(500)])
    files = find_log_files(tmp_path / "a" / "AWSLogs")[0] + find_log_files(tmp_path / "b" / "AWSLogs")[0]
    with SnapshotWriter(tmp_path / "s.duckdb", source="test") as writer:
        result = load_log_files(writer.connection, files, EventSelection.ALL, skip_bad_files=True)
        rows = writer.connection.execute("select event_id from aws_cloudtrail_trail_event").fetchall()
        assert ([p.path for p in result.problems], result.rows, rows) == ([long_log], 1, [("e00500",)])
        # The broken file's row in the records' file table went with its records: only the twin has one.
        assert writer.connection.execute(f"SELECT log_stream_name, count(*) FROM {RECORD_FILES_TABLE} GROUP BY ALL").fetchall() == [
            (KEY, 1)]
    with SnapshotWriter(tmp_path / "t.duckdb", source="test") as writer:
        result = load_log_files(writer.connection, files, EventSelection.ALL)  # not skipping: no row stays
        assert ([p.path for p in result.problems], result.rows) == ([long_log], 0)
        assert writer.connection.execute("select count(*) from aws_cloudtrail_trail_event").fetchone() == (0,)
    assert twin.exists()


def test_every_transaction_but_the_last_ends_on_a_row_group_boundary(tmp_path: Path, monkeypatch) -> None:
    """A transaction commits whole row groups (a part-filled one was merged, and written again, by
    the checkpoint after the next commit), its batches cut where a row group ends; no row is lost."""
    from rootwatch.snapshot import cloudtrail_load, cloudtrail_logs, cloudtrail_scan

    monkeypatch.setattr(cloudtrail_scan, "PART_BYTES", 1024)
    monkeypatch.setattr(cloudtrail_logs, "BATCH_BYTES", 2048)
    monkeypatch.setattr(cloudtrail_load, "COMMIT_BYTES", 4096)
    monkeypatch.setattr(cloudtrail_load, "ROW_GROUP_ROWS", 7)
    monkeypatch.setattr(cloudtrail_load, "GROUP_ROW_GROUPS", 1)  # statements of a row group per thread
    committed: list[int] = []
    commit = cloudtrail_load.Loader._commit

    def recorded(loader: cloudtrail_load.Loader) -> None:
        if loader.open_bytes:
            committed.append(loader.open_records)
        commit(loader)

    monkeypatch.setattr(cloudtrail_load.Loader, "_commit", recorded)
    log = _one_line_log(tmp_path / KEY, [other_record(n) for n in range(100)])
    files, _ = find_log_files(tmp_path / "AWSLogs")
    with SnapshotWriter(tmp_path / "s.duckdb", source="test") as writer:
        result = load_log_files(writer.connection, files, EventSelection.ALL)
        ids = writer.connection.execute("select event_id from aws_cloudtrail_trail_event order by 1").fetchall()
    assert (result.rows, sum(committed), ids) == (100, 100, [(f"o{n:05d}",) for n in range(100)])
    assert len(committed) > 2 and all(n % 7 == 0 for n in committed[:-1]), committed
    assert log.exists()


@pytest.mark.parametrize("count", [3, 4095, 4096, 70_000])
def test_a_chunks_offsets_are_the_running_sum_of_its_lengths_by_python_or_arrow(count: int) -> None:
    """Below ARROW_SUM_RECORDS Python sums the lengths, from it Arrow does: the same offsets."""
    from array import array
    from itertools import accumulate

    from rootwatch.snapshot.cloudtrail_load import ARROW_SUM_RECORDS, _offsets

    assert ARROW_SUM_RECORDS == 4096
    lengths = array("q", [(n * 7919) % 3000 + 1 for n in range(count)])
    assert _offsets(lengths).to_pybytes() == array("q", accumulate(lengths, initial=0)).tobytes()


def test_a_chunk_gathers_records_in_one_buffer_used_again_and_gives_up_a_bad_files() -> None:
    from array import array

    from rootwatch.snapshot.cloudtrail_load import _Chunk

    def state(chunk: _Chunk) -> tuple:
        return bytes(chunk.buffer[:chunk.size]), list(chunk.lengths), list(chunk.fids), chunk.room

    chunk = _Chunk()
    chunk.begin(5)
    chunk.add(0, b"abcde", array("q", [2, 3]))
    chunk.add(1, memoryview(b"xyz"), array("q", [1, 2]))
    assert state(chunk) == (b"abcdexyz", [2, 3, 1, 2], [0, 0, 1, 1], 1)
    fids, texts = chunk.arrow()
    assert (fids.to_pylist(), texts.to_pylist()) == ([0, 0, 1, 1], ["ab", "cde", "x", "yz"])
    chunk.drop(0)
    assert state(chunk) == (b"xyz", [1, 2], [1, 1], 3)
    buffer = chunk.buffer
    chunk.begin(2)
    chunk.add(2, b"pq", array("q", [1, 1]))
    assert state(chunk) == (b"pq", [1, 1], [2, 2], 0) and chunk.buffer is buffer


def test_a_record_duckdb_rejects_is_named_by_the_python_reference(tmp_path: Path, monkeypatch) -> None:
    """Every record (not parsed in Python): a bad eventTime fails DuckDB's batch; the reference
    names the file and record, and the batch goes in again without it."""
    from rootwatch.snapshot import cloudtrail_logs

    monkeypatch.setattr(cloudtrail_logs, "BATCH_BYTES", 1 << 30)  # both files in one batch
    good = _one_line_log(tmp_path / KEY.replace("_a.json", "_b.json"), [other_record(1), root_record(2)])
    bad = _one_line_log(tmp_path / KEY, [other_record(3), {**other_record(4), "eventTime": "yesterday"}])
    files, _ = find_log_files(tmp_path / "AWSLogs")
    with SnapshotWriter(tmp_path / "s.duckdb", source="test") as writer:
        result = load_log_files(writer.connection, files, EventSelection.ALL, skip_bad_files=True)
        assert writer.connection.execute("select event_id from aws_cloudtrail_trail_event order by 1").fetchall() == [
            ("e00002",), ("o00001",)]
    assert result.rows == 2 and good != bad
    (problem,) = result.problems
    assert (problem.path, problem.message.split(":")[0]) == (bad, "Records[1]")


@pytest.mark.parametrize(("records", "count", "problem"), [
    (b'[{"eventTime": "2026-11-19T08:00:00Z", "eventID": "x1"}, 7]', 2, "Records[1] is not an object"),
    (b'[{"eventTime": "2026-11-19T08:00:00Z", "eventID": "x\xff"}]', 1, "not UTF-8 text"),
], ids=["not an object", "not UTF-8"])
@pytest.mark.parametrize("layout", ["records view", "event table"])
def test_records_left_unchecked_for_duckdb_are_still_named_when_a_load_keeps_every_record(
        tmp_path: Path, records: bytes, count: int, problem: str, layout: str) -> None:
    """With every record kept, the reading processes check only the JSON syntax (DuckDB rejects
    what is not an object or not UTF-8): the records come through unchecked, and the load names the
    file with the reference's words, as a check in the reading process did. Both layouts: the
    records table behind the view, and an event table that already holds a row (filled as is)."""
    path = tmp_path / KEY
    path.parent.mkdir(parents=True)
    path.write_bytes(gzip.compress(b'{"Records": ' + records + b"}"))
    assert sum(len(part) for part in cloudtrail_records.record_parts(path, check_records=False)) == count
    with pytest.raises(cloudtrail_records.BadLogFile, match=re.escape(problem)):
        list(cloudtrail_records.record_parts(path))
    files, _ = find_log_files(tmp_path / "AWSLogs")
    with SnapshotWriter(tmp_path / "s.duckdb", source="test") as writer:
        if layout == "event table":
            writer.connection.execute("INSERT INTO aws_cloudtrail_trail_event (log_stream_name) VALUES ('earlier')")
        result = load_log_files(writer.connection, files, EventSelection.ALL, skip_bad_files=True)
        assert writer.connection.execute("select count(*) from aws_cloudtrail_trail_event").fetchone() == (int(layout == "event table"),)
    (found,) = result.problems
    assert (result.records_view, result.rows, found.path, problem in found.message) == (layout == "records view", 0, path, True)


def test_duckdbs_rejection_is_read_even_when_it_quotes_text_that_is_not_utf8() -> None:
    """DuckDB quotes the record it could not parse; Python cannot decode that message when the
    record is not UTF-8, and raises a UnicodeDecodeError of the message instead of DuckDB's error."""
    from rootwatch.snapshot.cloudtrail_load import _rejection

    message = b'Invalid Input Error: Malformed JSON at byte 4: invalid UTF-8 encoding.  Input: "{\"a\":\"\xff\"}"\nmore'
    exc = UnicodeDecodeError("utf-8", message, message.index(b"\xff"), message.index(b"\xff") + 1, "invalid start byte")
    assert _rejection(exc) == 'Invalid Input Error: Malformed JSON at byte 4: invalid UTF-8 encoding.  Input: "{\"a\":\"\ufffd\"}"'
    assert _rejection(duckdb.ConversionException("Conversion Error: bad\nsecond line")) == "Conversion Error: bad"


def test_root_spelt_with_escapes_is_still_root_activity(tmp_path: Path) -> None:
    """The byte pre-filter looks for "Root"; a record that spells it with \\u escapes is parsed too."""
    path = tmp_path / KEY
    path.parent.mkdir(parents=True)
    path.write_bytes(gzip.compress(b'{"Records": [{"eventTime": "2026-11-19T08:00:00Z", "eventID": "x1", '
                                   b'"userIdentity": {"type": "\\u0052oot"}}, ' + json.dumps(other_record(1)).encode() + b"]}"))
    (log_file,), _ = find_log_files(tmp_path / "AWSLogs")
    with SnapshotWriter(tmp_path / "s.duckdb", source="test") as writer:
        result = load_log_files(writer.connection, [log_file])
    assert (result.rows, [r["event_id"] for r in log_file_rows(log_file)]) == (1, ["x1"])


@pytest.mark.parametrize("separators", [(",", ":"), (", ", ": ")], ids=["as CloudTrail writes", "with blanks"])
def test_the_window_search_finds_the_records_a_per_record_search_finds(tmp_path: Path, monkeypatch, separators) -> None:
    """Records holding "Root" anywhere (the identity, AssumeRoot, a policy text, a key) or a \\u
    escape, in windows cut small: one search over the window (records separated by bare commas)
    and the record-by-record search (any other layout) choose the same records."""
    monkeypatch.setattr(cloudtrail_records, "WINDOW", 4096)
    records = [other_record(n) for n in range(300)]
    for n in range(0, 300, 7):
        records[n]["requestParameters"]["note"] = ["Root", "AssumeRoot", "xRootx", "\u00e9t\u00e9"][n % 4]
    records[5] = root_record(5)
    records[299] = {**other_record(299), "Root": 1}
    path = tmp_path / KEY
    path.parent.mkdir(parents=True)
    text = json.dumps({"Records": records}, separators=separators)
    path.write_bytes(gzip.compress(text.replace("xRootx", "x\\u0052ootx").encode()))
    words = (b"Root", b"\\u")
    found, expected, first = [], [], 0
    for part in cloudtrail_records.record_parts(path):
        found += [first + i for i in part.holding(words)]
        expected += [first + i for i, raw in enumerate(part.records) if any(w in raw for w in words)]
        first += len(part)
    assert first == 300 and found == expected and len(found) > 40


def test_records_with_blanks_between_them_are_searched_where_they_lie(tmp_path: Path) -> None:
    """Blanks between records: where each record starts cannot be worked out from the lengths,
    whatever byte lies where the array would end without them. Here it is a "]" of the root record,
    with "Root" after it: placing the records by their lengths (as a check of that one byte let
    happen) searched the wrong bytes and lost the root record. For every number of blanks the
    search finds it, and both selections load it."""
    other = json.dumps(other_record(1), separators=(",", ":")).encode()
    root = json.dumps({"resources": [{"ARN": "x"}], **root_record(2)}, separators=(",", ":")).encode()
    assert root.index(b"]") < root.index(b"Root")
    for blanks in range(len(root) + 2):
        window = b"[" + other + b"," + b" " * blanks + root + b"]"
        part = cloudtrail_records.Part(cloudtrail_records._RECORDS.decode(window), window)
        assert part.holding((b"Root",)) == [1], blanks
    blanks = len(root) - root.index(b"]")  # the number that puts that "]" where the array would end
    path = tmp_path / KEY
    path.parent.mkdir(parents=True)
    path.write_bytes(gzip.compress(b'{"Records":[' + other + b"," + b" " * blanks + root + b"]}"))
    files, _ = find_log_files(tmp_path / "AWSLogs")
    for selection, rows in ((EventSelection.ROOT, [("e00002",)]), (EventSelection.ALL, [("e00002",), ("o00001",)])):
        with SnapshotWriter(tmp_path / f"{selection.value}.duckdb", source="test") as writer:
            result = load_log_files(writer.connection, files, selection)
            ids = writer.connection.execute("select event_id from aws_cloudtrail_trail_event order by 1").fetchall()
        assert (result.rows, result.problems, ids) == (len(rows), [], rows)


def test_every_record_goes_in_whole_row_groups_from_both_threads(tmp_path: Path, monkeypatch) -> None:
    """Each statement hands each of DuckDB's two threads whole row groups: every row group of the
    records table is full but the last (a thread given part of one wrote it part-filled), and no
    record is lost or doubled whichever thread took it."""
    from rootwatch.snapshot import cloudtrail_load, cloudtrail_logs

    monkeypatch.setattr(cloudtrail_logs, "PARALLEL_MIN_BYTES", 0)  # worker processes however small the logs
    monkeypatch.setattr(cloudtrail_load, "ROW_GROUP_ROWS", 2048)  # DuckDB's smallest: a vector
    monkeypatch.setattr(cloudtrail_load, "GROUP_ROW_GROUPS", 1)
    for n in range(3):
        _one_line_log(tmp_path / KEY.replace("_a.json", f"_{n}.json"), [other_record(n * 10_000 + i) for i in range(3_500)])
    files, _ = find_log_files(tmp_path / "AWSLogs")
    with SnapshotWriter(tmp_path / "s.duckdb", source="test", row_group_size=2048) as writer:
        result = load_log_files(writer.connection, files, EventSelection.ALL, threads=2)
        connection = writer.connection
        connection.execute("CHECKPOINT")
        groups = connection.execute(
            "SELECT sum(count) FROM pragma_storage_info('rootwatch_cloudtrail_records') "
            "WHERE column_name = 'event_time' AND segment_type <> 'VALIDITY' GROUP BY row_group_id").fetchall()
        ids = connection.execute("SELECT count(*), count(DISTINCT event_id) FROM aws_cloudtrail_trail_event").fetchone()
    assert (result.rows, ids) == (10_500, (10_500, 10_500))
    assert sorted(count for (count,) in groups) == [10_500 - 5 * 2048] + [2048] * 5
