"""The record text that worker processes keep reaches the loading parent through shared memory:
slots each worker fills in turn and the parent hands back, a part too long for a slot in the
message itself. Whichever way, the rows are those one process reads."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

import pytest
from helpers.cloudtrail import gzip_records, write_log_file
from helpers.cloudtrail_records import records
from helpers.snapshots import query
from rootwatch.snapshot import cloudtrail_logs, cloudtrail_scan
from rootwatch.snapshot.cloudtrail_logs import EventSelection, find_log_files, load_log_files
from rootwatch.snapshot.cloudtrail_scan import Done, Kept, scan
from rootwatch.snapshot.cloudtrail_slots import SLOTS_PER_WORKER, Slots
from rootwatch.snapshot.writer import SnapshotWriter

ACCOUNT = "123456789012"


def _logs(root: Path) -> list[object]:
    """Twenty small files (one record each, about 600 bytes) and a long one (every sample record)."""
    sample = records(ACCOUNT)
    for n in range(20):
        write_log_file(root, ACCOUNT, "us-east-1", "2026-11-19", f"s{n:02}.json.gz", gzip_records([sample[n % len(sample)]]))
    write_log_file(root, ACCOUNT, "eu-west-1", "2026-11-20", "long.json.gz", gzip_records(sample * 4))
    files, problems = find_log_files(root / "AWSLogs")
    assert problems == [] and len(files) == 21
    return files


def _rows(path: Path) -> list[tuple[object, ...]]:
    return sorted(query(path, "SELECT log_stream_name, event_id, CAST(cloudtrail_event AS VARCHAR) FROM aws_cloudtrail_trail_event"),
                  key=repr)


@pytest.mark.parametrize("selection", [EventSelection.ALL, EventSelection.ROOT])
@pytest.mark.parametrize("slot_bytes", [1500, cloudtrail_scan.SLOT_BYTES])
def test_records_through_small_slots_or_inline_are_those_one_process_reads(tmp_path: Path, monkeypatch, selection: EventSelection,
                                                                           slot_bytes: int) -> None:
    """With 1,500-byte slots the small files' records share slots, which each worker cycles
    through many times over (waiting for the parent to hand them back), and the long file's
    records travel in the message itself."""
    files = _logs(tmp_path / "logs")
    with SnapshotWriter(tmp_path / "one.duckdb", source="test") as writer:
        one = load_log_files(writer.connection, files, selection, threads=1)
    monkeypatch.setattr(cloudtrail_logs, "PARALLEL_MIN_BYTES", 0)  # two workers however small the logs
    monkeypatch.setattr(cloudtrail_scan, "SLOT_BYTES", slot_bytes)  # the parent sizes the slots; the workers take them as given
    with SnapshotWriter(tmp_path / "two.duckdb", source="test") as writer:
        two = load_log_files(writer.connection, files, selection, threads=2)
    assert (two.rows, two.problems) == (one.rows, one.problems) and one.rows > 20
    assert _rows(tmp_path / "two.duckdb") == _rows(tmp_path / "one.duckdb")


def test_scan_in_processes_gives_every_file_once_and_its_records_in_slot_views(tmp_path: Path, monkeypatch) -> None:
    """Every file ends with one Done; a Kept's text lies in the shared slots (a view) unless it
    was longer than a slot; the texts are the files' records."""
    files = _logs(tmp_path / "logs")
    monkeypatch.setattr(cloudtrail_scan, "SLOT_BYTES", 1500)
    in_slots = inline = 0
    texts: dict[int, bytes] = {}
    done: list[int] = []
    for message in scan(files, EventSelection.ALL, 2):
        if isinstance(message, Done):
            assert message.problem is None
            done.append(message.index)
            continue
        assert isinstance(message, Kept)
        if isinstance(message.data, memoryview):
            in_slots += 1
        else:
            inline += 1
        texts[message.index] = texts.get(message.index, b"") + bytes(message.data)  # copied before asking for the next
    assert sorted(done) == list(range(21))
    assert in_slots == 20 and inline == 1
    expected = {index: b"".join(kept.data for kept in cloudtrail_scan.scan_file(index, log_file, EventSelection.ALL)
                                if isinstance(kept, Kept)) for index, log_file in enumerate(files)}
    assert texts == expected


def test_a_slot_is_written_by_its_worker_and_read_by_the_parent() -> None:
    """The mapping is one file both processes map: what the worker's side writes at a slot's offset
    is what the parent's view of it shows; each worker has its own slots."""
    context = multiprocessing.get_context("spawn")
    slots = Slots(context, workers=2, slot_bytes=64)
    try:
        second = slots.for_worker(1)
        taken = [second.take() for _ in range(SLOTS_PER_WORKER)]
        assert taken == list(range(SLOTS_PER_WORKER))
        second.write(2, 10, [b'{"a":', b"1}"])
        assert bytes(slots.view(1, 2, 10, 7)) == b'{"a":1}'
        assert bytes(slots.view(0, 2, 10, 7)) == bytes(7)  # the first worker's slot is untouched
        slots.hand_back(1)
        assert second.take() == 0  # the oldest slot comes round again once handed back
    finally:
        slots.close()
