"""A progress bar on stderr for long runs (stdout stays clean for machine formats)."""

from __future__ import annotations

import threading
import time
from typing import TextIO


class ProgressBar:
    """Callable progress reporter: ``bar(done, total, control_id)``. Draws only after a short
    delay, so quick runs print nothing, and clears itself when finished."""

    def __init__(self, stream: TextIO, *, delay: float = 0.5, width: int = 30) -> None:
        self._stream = stream
        self._delay = delay
        self._width = width
        self._start = time.monotonic()
        self._lock = threading.Lock()
        self._drawn = False

    def __call__(self, done: int, total: int, control_id: str) -> None:
        with self._lock:
            if time.monotonic() - self._start < self._delay and done < total:
                return
            if done >= total and not self._drawn:
                return
            filled = int(self._width * done / max(total, 1))
            bar = "#" * filled + "." * (self._width - filled)
            line = f"\r[{bar}] {done}/{total} {control_id[:40]:<40}"
            self._stream.write(line)
            self._drawn = True
            if done >= total:
                self._stream.write("\r" + " " * len(line) + "\r")
            self._stream.flush()
