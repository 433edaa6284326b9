"""Reading CloudTrail log files into the raw JSON text of the records to keep, in worker processes.

Each file is cut into records (:mod:`rootwatch.snapshot.cloudtrail_records`) and filtered:

* root activity (the default) keeps the records a byte search says *may* be root activity (they
  hold ``Root``, or a ``\\u`` escape that could spell it), parses those alone strictly (a
  duplicated key is an error, not a lost value) and keeps the ones :meth:`EventSelection.keeps`
  accepts, each checked to have a valid ``eventTime``; a few in a thousand records are parsed;
* every record (``all``) keeps them all, unparsed: DuckDB reads them.

:func:`scan` yields, per file, the kept records in parts and then whether the file was good. With
more than one worker the files are read by that many processes (spawned: the parent holds a
DuckDB instance and its threads, which a fork would copy mid-flight), through a bounded queue so
that memory stays flat however fast the parent inserts; the record text itself follows each
message on a pipe of the worker's own (:class:`_Sent`), read by the parent straight into one buffer,
in a thread of its own (:class:`_Receiver`) while the load's thread inserts.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import queue
import traceback
from array import array
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import msgspec

from rootwatch.errors import Problem
from rootwatch.snapshot.cloudtrail_records import BadLogFile, Part, record_parts

PART_BYTES = 8 * 1024 * 1024
"""Kept record text sent from a worker at a time (a part never splits a record)."""
QUEUE_PARTS = 2
"""Messages waiting per worker (in its sender thread, :class:`_Sender`): bounds the memory between
the workers and the inserting parent (with every record kept, 16 MB parts and three per worker
made each worker 140 MB)."""
FILES_PER_MESSAGE = 64
"""A worker sends what it read of up to this many files at once (and at most about
:data:`PART_BYTES` of records): one message per file cost the parent more than the root records
of small files are worth."""


@dataclass(frozen=True)
class Kept:
    """Records of file ``index`` to insert: their texts back to back, and each one's length."""

    index: int
    data: bytes | bytearray
    lengths: array


@dataclass(frozen=True)
class Done:
    """File ``index`` was read to its end: ``problem`` is None when it was good."""

    index: int
    problem: Problem | None


def scan_file(index: int, log_file: object, selection: object) -> Iterator[Kept | Done]:
    """The kept records of one file, in parts, then its Done (never raises for bad input)."""
    from rootwatch.snapshot.cloudtrail_logs import EventSelection, LogFile

    assert isinstance(log_file, LogFile) and isinstance(selection, EventSelection)
    keep_all = selection is EventSelection.ALL
    pending: list[bytes | msgspec.Raw] = []
    size = 0
    position = 0
    try:
        for part in record_parts(log_file.path):
            chosen = part.raws if keep_all else _root_records(log_file, part, position)
            position += len(part)
            pending += chosen
            size += sum(map(len, chosen))
            if size >= PART_BYTES:
                yield _kept(index, pending)
                pending, size = [], 0
    except BadLogFile as exc:
        yield Done(index, exc.problem)
        return
    if pending:
        yield _kept(index, pending)
    yield Done(index, None)


def _kept(index: int, records: list[bytes | msgspec.Raw]) -> Kept:
    # One copy of the record texts, out of the windows they were cut from (bytes.join takes views).
    return Kept(index, b"".join(records), array("q", map(len, records)))


ROOT_WORDS = (b"Root",)
"""Every root or AssumeRoot record holds these bytes, unless a ``\\u`` escape spells them."""


def _root_records(log_file: object, part: Part, first: int) -> list[bytes]:
    """The records of ``part`` (``Records[first]`` on) that are root activity.

    Only those holding ``Root`` (or an escape that could spell it) are parsed: a few in a
    thousand, found by one byte search over the window rather than a step per record.
    """
    from rootwatch.snapshot.cloudtrail_logs import EventSelection, kept_row

    kept = []
    for offset in part.holding(ROOT_WORDS + ((b"\\u",) if part.escaped else ())):
        raw = bytes(part.raws[offset])
        if kept_row(log_file, raw, first + offset, EventSelection.ROOT) is not None:  # type: ignore[arg-type]
            kept.append(raw)
    return kept


def scan(files: Sequence[object], selection: object, workers: int) -> Iterator[Kept | Done]:
    """Every file's parts and Done, files in no set order; ``workers`` processes (in this process
    when 1)."""
    if workers <= 1 or len(files) <= 1:
        for index, log_file in enumerate(files):
            yield from scan_file(index, log_file, selection)
        return
    yield from _scan_in_processes(files, selection, min(workers, len(files)))


def _scan_in_processes(files: Sequence[object], selection: object, workers: int) -> Iterator[Kept | Done]:
    context = multiprocessing.get_context("spawn")
    tasks = context.Queue()
    results = context.Queue(maxsize=QUEUE_PARTS * workers)
    for index in range(len(files)):
        tasks.put(index)
    for _ in range(workers):
        tasks.put(None)
    pipes = [context.Pipe(duplex=False) for _ in range(workers)]
    for reader, _ in pipes:
        _widen(reader.fileno())
    processes = [context.Process(target=_work, args=(list(files), selection, tasks, results, worker, pipes[worker][1]), daemon=True)
                 for worker in range(workers)]
    for process in processes:
        process.start()
    for _, writer in pipes:
        writer.close()  # the workers hold it now: a worker that dies closes its pipe, and a read sees the end
    receiver = _Receiver(len(files), results, [reader for reader, _ in pipes], processes)
    try:
        yield from receiver.messages()
    finally:
        receiver.stop()
        for process in processes:
            if process.is_alive():
                process.terminate()
        for process in processes:
            process.join(timeout=5)
        receiver.join()
        for reader, _ in pipes:
            reader.close()
        results.cancel_join_thread()
        tasks.cancel_join_thread()


PIPE_BYTES = 1024 * 1024
"""Capacity asked for each data pipe (Linux's default maximum for a user): with the default 64 KB
a worker's 8 MB part crossed in 128 turns, each a wake-up of the other side."""


def _widen(descriptor: int) -> None:
    """Give the pipe ``descriptor`` :data:`PIPE_BYTES` of room where the system allows it."""
    try:
        import fcntl

        fcntl.fcntl(descriptor, getattr(fcntl, "F_SETPIPE_SZ", 1031), PIPE_BYTES)
    except (ImportError, OSError):  # another system, or over the user's pipe quota: the default stands
        pass


PREFETCH_LISTS = 3
"""Message lists (each up to :data:`PART_BYTES` of records) the parent reads ahead of the load."""


class _Receiver:
    """Takes the workers' messages, and the record text after each on the worker's pipe, in a
    thread of the parent's own: the load's thread meanwhile waits on DuckDB (which lets go of the
    GIL), so reading the pipes no longer stops the inserting, nor the inserting the reading.
    Every record of 400 MB of gzip logs: the load kept 1.73 of the 2 cores busy when one thread
    did both."""

    def __init__(self, files: int, results: Any, readers: list[Any], processes: list[Any]) -> None:
        import threading

        self.remaining = files
        self.results = results
        self.readers = readers
        self.processes = processes
        self.ready: queue.Queue[list[Kept | Done] | BaseException | None] = queue.Queue(maxsize=PREFETCH_LISTS)
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._run, name="rootwatch-cloudtrail-receiver", daemon=True)
        self.thread.start()

    def messages(self) -> Iterator[Kept | Done]:
        while True:
            got = self.ready.get()
            if got is None:
                return
            if isinstance(got, BaseException):
                raise got
            yield from got

    def stop(self) -> None:
        self.stopping.set()
        with contextlib.suppress(queue.Empty):  # free a receiver blocked on a full queue
            while True:
                self.ready.get_nowait()

    def join(self) -> None:
        self.thread.join(timeout=5)

    def _put(self, item: list[Kept | Done] | BaseException | None) -> bool:
        """Hand ``item`` over unless the load has stopped (False)."""
        while not self.stopping.is_set():
            try:
                self.ready.put(item, timeout=0.2)
                return True
            except queue.Full:
                continue
        return False

    def _run(self) -> None:
        try:
            while self.remaining and not self.stopping.is_set():
                try:
                    sent = self.results.get(timeout=1.0)
                except queue.Empty:
                    if not any(p.is_alive() for p in self.processes):
                        raise RuntimeError("the CloudTrail log readers stopped without a word") from None
                    continue
                if isinstance(sent, str):
                    raise RuntimeError(f"a CloudTrail log reader failed:\n{sent}")
                worker, listed = sent
                messages: list[Kept | Done] = []
                for message in listed:
                    if isinstance(message, _Sent):
                        message = Kept(message.index, _read_exactly(self.readers[worker].fileno(), message.size), message.lengths)
                    elif isinstance(message, Done):
                        self.remaining -= 1
                    messages.append(message)
                if not self._put(messages):
                    return
            self._put(None)
        except BaseException as exc:  # noqa: BLE001 - raised again in the load's thread
            self._put(exc)


@dataclass(frozen=True)
class _Sent:
    """A Kept whose record text follows on the worker's data pipe (``size`` bytes).

    The texts do not travel pickled through the results queue: its reader takes a message in
    pieces and copies it three times over (0.9 CPU seconds of the parent per 600 MB); read
    straight into one buffer from a pipe of their own, they cost 0.3."""

    index: int
    size: int
    lengths: array


def _read_exactly(descriptor: int, size: int) -> bytearray:
    """``size`` bytes from the pipe ``descriptor``, into one buffer."""
    import os

    data = bytearray(size)
    view = memoryview(data)
    got = 0
    while got < size:
        count = os.readv(descriptor, [view[got:]])
        if not count:
            raise RuntimeError("a CloudTrail log reader stopped while sending records")
        got += count
    view.release()
    return data


def _work(files: list[object], selection: object, tasks: multiprocessing.Queue, results: multiprocessing.Queue,
          worker: int, pipe: Any) -> None:
    """A worker: read files by index until the sentinel, sending their messages in lists (the
    record texts of each list after it, on ``pipe``); an unexpected error goes back as text."""
    import signal

    from rootwatch.snapshot.heap import keep_heap

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    keep_heap()  # the same windows allocated again and again: reused, not faulted in anew
    sender = _Sender(worker, results, pipe.fileno())
    try:
        waiting: list[Kept | Done] = []
        size = done = 0
        while (index := tasks.get()) is not None:
            for message in scan_file(index, files[index], selection):
                waiting.append(message)
                if isinstance(message, Kept):
                    size += len(message.data)
                else:
                    done += 1
                if size >= PART_BYTES or done >= FILES_PER_MESSAGE:
                    sender.send(waiting)
                    waiting, size, done = [], 0, 0
        if waiting:
            sender.send(waiting)
        sender.close()
    except BaseException:
        results.put(traceback.format_exc())


class _Sender:
    """Sends a worker's message lists from a thread of its own, as the results queue's feeder
    thread does, so the worker reads on while the parent is busy: up to :data:`QUEUE_PARTS` lists
    wait (a write to the pipe blocks once 64 KB are unread)."""

    def __init__(self, worker: int, results: multiprocessing.Queue, descriptor: int) -> None:
        import threading

        self.worker = worker
        self.results = results
        self.descriptor = descriptor
        self.waiting: queue.Queue[list[Kept | Done] | None] = queue.Queue(maxsize=QUEUE_PARTS)
        self.failure: BaseException | None = None
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def send(self, messages: list[Kept | Done]) -> None:
        self._raise()
        self.waiting.put(messages)

    def close(self) -> None:
        """Wait until everything is sent."""
        self.waiting.put(None)
        self.thread.join()
        self._raise()

    def _raise(self) -> None:
        if self.failure is not None:
            raise self.failure

    def _run(self) -> None:
        import os

        try:
            while (messages := self.waiting.get()) is not None:
                self.results.put((self.worker, [_Sent(m.index, len(m.data), m.lengths) if isinstance(m, Kept) else m
                                                for m in messages]))
                for message in messages:
                    if isinstance(message, Kept):
                        view = memoryview(message.data)
                        while view:
                            view = view[os.write(self.descriptor, view):]
        except BaseException as exc:  # noqa: BLE001 - handed to the worker's thread, which reports it
            self.failure = exc
            while self.waiting.get() is not None:  # never leave the worker blocked on a full queue
                pass
