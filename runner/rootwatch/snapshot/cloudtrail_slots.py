"""Shared memory between the CloudTrail log readers (worker processes) and the inserting parent.

Each worker writes the record text it keeps straight into slots of one mapping both processes
share, and sends only where it lies; the parent reads it there. Sent on a pipe instead, every byte
was copied into the kernel by the worker, out of it by a reader thread of the parent into a new
(zeroed) buffer, and then into the statement's chunk: with every record of 400 MB of gzip logs,
the parent's reader thread alone took 4.6 % of the load's CPU time.

A worker uses its own slots in turn and the parent hands them back in the order it got them (one
semaphore per worker counts the free ones), so a worker waits when the parent falls behind: the
memory between them stays :data:`SLOTS_PER_WORKER` slots per worker.

The mapping is a ``memfd`` on Linux (not ``/dev/shm``, whose size a container may cap below it:
touching a page past the cap kills the process), elsewhere an unlinked temporary file. Its
descriptor reaches each worker as the spawning passes descriptors (``reduction.DupFd``).
"""

from __future__ import annotations

import mmap
import os
import tempfile
from collections.abc import Sequence
from typing import Any

SLOTS_PER_WORKER = 3
"""Slots a worker fills in turn: one being written, the others waiting for the parent or read by it."""


def _slot_start(worker: int, slot: int, slot_bytes: int) -> int:
    """Where ``worker``'s ``slot`` begins in the mapping (each worker's slots together)."""
    return (worker * SLOTS_PER_WORKER + slot) * slot_bytes


class SharedFile:
    """A descriptor of the shared mapping that pickles for a spawned worker (the child gets its own
    duplicate)."""

    def __init__(self, descriptor: int) -> None:
        self.descriptor = descriptor

    def __reduce__(self) -> tuple[Any, tuple[Any]]:
        from multiprocessing import reduction

        return (_received, (reduction.DupFd(self.descriptor),))


def _received(duplicate: Any) -> SharedFile:
    return SharedFile(duplicate.detach())


class Slots:
    """``workers`` × :data:`SLOTS_PER_WORKER` slots of ``slot_bytes`` each, in one shared mapping (the
    parent's side)."""

    def __init__(self, context: Any, workers: int, slot_bytes: int) -> None:
        self.slot_bytes = slot_bytes
        self.size = workers * SLOTS_PER_WORKER * slot_bytes
        self._temporary: Any = None
        if hasattr(os, "memfd_create"):
            descriptor = os.memfd_create("rootwatch-cloudtrail-records")
        else:  # pragma: no cover - macOS and others: a file with no name, gone when closed
            self._temporary = tempfile.TemporaryFile(prefix="rootwatch-cloudtrail-")
            descriptor = self._temporary.fileno()
        self.file = SharedFile(descriptor)
        os.ftruncate(descriptor, self.size)  # sparse: a page takes memory once a worker writes it
        self.map = mmap.mmap(descriptor, self.size)
        self.free = [context.Semaphore(SLOTS_PER_WORKER) for _ in range(workers)]

    def for_worker(self, worker: int) -> WorkerSlots:
        return WorkerSlots(self.file, worker, self.slot_bytes, self.free[worker])

    def view(self, worker: int, slot: int, offset: int, size: int) -> memoryview:
        """The ``size`` bytes at ``offset`` of ``worker``'s ``slot`` (valid until it is handed back)."""
        start = _slot_start(worker, slot, self.slot_bytes) + offset
        return memoryview(self.map)[start:start + size]

    def hand_back(self, worker: int) -> None:
        """The parent is done with ``worker``'s oldest slot in use."""
        self.free[worker].release()

    def close(self) -> None:
        try:
            self.map.close()
        except BufferError:  # a view still held (an interrupted load): the collector closes it
            pass
        if self._temporary is not None:
            self._temporary.close()
        else:
            os.close(self.file.descriptor)


class WorkerSlots:
    """A worker's side: its slots, taken in turn."""

    def __init__(self, file: SharedFile, worker: int, slot_bytes: int, free: Any) -> None:
        self.file = file
        self.worker = worker
        self.slot_bytes = slot_bytes
        self.free = free
        self.next = 0
        self._map: mmap.mmap | None = None

    def take(self) -> int:
        """The next slot, once the parent has handed it back (blocks until then)."""
        self.free.acquire()
        slot, self.next = self.next, (self.next + 1) % SLOTS_PER_WORKER
        return slot

    def write(self, slot: int, offset: int, texts: Sequence[Any]) -> None:
        """Write ``texts`` (bytes-like) back to back at ``offset`` of ``slot``: joined, then copied
        into the mapping (``pwritev`` from where each text lies, with no joined copy, spent more
        in the kernel than the copy saved)."""
        if self._map is None:
            self._map = mmap.mmap(self.file.descriptor, os.fstat(self.file.descriptor).st_size)
        position = _slot_start(self.worker, slot, self.slot_bytes) + offset
        data = b"".join(texts)
        self._map[position:position + len(data)] = data
