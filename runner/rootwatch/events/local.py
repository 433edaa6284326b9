"""Consuming root activity from stdin, files and folders, in batches.

Files are read in batches of up to :data:`BATCH_EVENTS` events. Standard input is read on a thread
of its own, so a batch is whatever has arrived (lingering :data:`LINGER` for more): a pipe from ``aws
logs tail --follow`` is handled event by event, a file piped in is handled in a few batches.
What cannot be read is named on stderr and, with ``--dead-letter-dir``, written there (one JSON
file each: where it came from, why, and the text as it was) before anything else happens to it.
"""

from __future__ import annotations

import json
import queue
import threading
from collections.abc import Iterable, Iterator
from datetime import datetime, timezone
from itertools import count
from pathlib import Path
from typing import TextIO

from rootwatch.events.processor import BatchReport, EventProcessor
from rootwatch.events.reading import Event, Parsed, Unreadable, documents, read_path
from rootwatch.events.stopping import Stopper

BATCH_EVENTS = 500
LINGER = 0.05
"""Seconds a stdin batch waits for more once the first event arrived: a burst written at once
becomes one batch (one message), at a cost in latency nobody on call notices."""


class DeadLetterDir:
    """Unreadable input, one JSON file each, written atomically into a folder."""

    def __init__(self, directory: Path | None) -> None:
        self.directory = directory
        self._numbers = count(1)
        self._stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")

    def put(self, entry: Unreadable) -> str:
        """Set ``entry`` aside; returns what became of it, for messages."""
        if self.directory is None:
            return "not kept (no --dead-letter-dir)"
        from rootwatch.atomic import write_atomic

        path = self.directory / f"unreadable-{self._stamp}-{next(self._numbers):05d}.json"
        document = {"received_from": entry.where, "reason": entry.reason, "text": entry.text}
        write_atomic(path, json.dumps(document, ensure_ascii=False, indent=1) + "\n")
        return f"written to {path}"


def _batches(parsed: Iterable[Parsed]) -> Iterator[tuple[list[Event], list[Unreadable]]]:
    events: list[Event] = []
    unreadable: list[Unreadable] = []
    for item in parsed:
        events += item.events
        unreadable += item.unreadable
        if len(events) >= BATCH_EVENTS:
            yield events, unreadable
            events, unreadable = [], []
    if events or unreadable:
        yield events, unreadable


def _handle(processor: EventProcessor, events: list[Event], unreadable: list[Unreadable], dead: DeadLetterDir,
            source: str, err: TextIO) -> BatchReport:  # fmt: skip
    set_aside = []
    for entry in unreadable:
        where = dead.put(entry)
        err.write(f"rootwatch: cannot read {entry.where}: {entry.reason}; {where}\n")
        set_aside.append((entry, where))
    return processor.process(events, set_aside, source=source)


def consume_paths(paths: Iterable[Path], processor: EventProcessor, dead: DeadLetterDir, err: TextIO, on_batch=None) -> BatchReport:  # noqa: ANN001
    """Every event of ``paths``, in batches across files; returns the totals."""
    paths = list(paths)
    source = str(paths[0]) if len(paths) == 1 else f"{len(paths)} inputs"
    total = BatchReport()
    for events, unreadable in _batches(parsed for path in paths for parsed in read_path(path)):
        report = _handle(processor, events, unreadable, dead, source, err)
        total.add(report)
        if on_batch is not None:
            on_batch(report)
    return total


def consume_stream(stream: TextIO, processor: EventProcessor, dead: DeadLetterDir, stopper: Stopper, err: TextIO,
                   on_batch=None) -> BatchReport:  # noqa: ANN001  # fmt: skip
    """Events of a stream (stdin) as they arrive, until it ends or a stop is requested."""
    arrived: queue.Queue[Parsed | None] = queue.Queue(maxsize=BATCH_EVENTS * 4)

    def read() -> None:
        try:
            for parsed in documents(stream, "stdin"):
                arrived.put(parsed)
        finally:
            arrived.put(None)

    threading.Thread(target=read, name="rootwatch-stdin", daemon=True).start()
    total = BatchReport()
    ended = False
    while not ended and not stopper.requested:
        first = stopper.during_wait(arrived.get)
        if first is None:  # the end of the input, or a stop
            break
        batch = [first]
        while len(batch) < BATCH_EVENTS:
            try:
                more = arrived.get(timeout=LINGER)
            except queue.Empty:
                break
            if more is None:
                ended = True
                break
            batch.append(more)
        for events, unreadable in _batches(batch):
            report = _handle(processor, events, unreadable, dead, "stdin", err)
            total.add(report)
            if on_batch is not None:
                on_batch(report)
    return total
