"""Stopping a consumer cleanly on SIGTERM or Ctrl-C.

A consumer alternates between waiting (a long poll of SQS, a read of stdin) and handling a batch
(the query, the notification, the deletes). A signal while waiting stops it at once: nothing is in
hand, and a message a poll was about to return stays on the queue, to be received again after its
visibility timeout. A signal while handling lets the batch finish (so an alert is not sent twice, or
a message deleted without its alert) and stops before the next wait. A second signal stops at once.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Callable, Iterator
from types import FrameType
from typing import TypeVar

T = TypeVar("T")


class Stopper:
    """Installs SIGTERM and SIGINT handlers for the ``with`` block (main thread only)."""

    def __init__(self) -> None:
        self.requested = False
        self._waiting = False
        self._previous: dict[int, object] = {}

    def __enter__(self) -> Stopper:
        if threading.current_thread() is threading.main_thread():
            for signum in (signal.SIGTERM, signal.SIGINT):
                self._previous[signum] = signal.signal(signum, self._handle)
        return self

    def __exit__(self, *exc: object) -> None:
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)  # type: ignore[arg-type]
        self._previous.clear()

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        again = self.requested
        self.requested = True
        if self._waiting or again:
            raise KeyboardInterrupt

    @contextlib.contextmanager
    def waiting(self) -> Iterator[None]:
        """Mark a wait that a signal may cut short (it raises KeyboardInterrupt there)."""
        if self.requested:
            raise KeyboardInterrupt
        self._waiting = True
        try:
            yield
        finally:
            self._waiting = False

    def during_wait(self, action: Callable[[], T]) -> T | None:
        """``action()`` as a wait: its value, or None when a stop was requested during it."""
        try:
            with self.waiting():
                return action()
        except KeyboardInterrupt:
            if self.requested:
                return None
            raise
