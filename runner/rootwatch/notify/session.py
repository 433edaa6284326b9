"""Notifying around runs: after a run, when a run fails, and across runs with a state file.

A :class:`NotifySession` is opened once per command (``benchmark run``, ``control run``,
``query run``) or once per ``watch`` process, and told about each run: :meth:`after_run` with its
results, or :meth:`run_failed` when no result could be had (endpoint down, snapshot unreadable).
With a state file, each notifier hears only what changed for it (``new_only``), a failed run is
reported once and its recovery once.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from rootwatch.diff import ResultSet, diff_results
from rootwatch.notify.dispatch import Delivery, Route, deliver, dry_run, report
from rootwatch.notify.message import Digest, Item, Level
from rootwatch.notify.render import compose_plain
from rootwatch.notify.secrets import scrub

if TYPE_CHECKING:
    from rootwatch.engines.base import Engine
    from rootwatch.notify.state import State, StateFile
    from rootwatch.results import RunResult


@dataclass
class NotifySession:
    """The routes of a command and, optionally, its state file."""

    routes: Sequence[Route]
    command: str
    """What ran, as a person would type it: ``benchmark run root``."""
    selection: Mapping[str, Any] = field(default_factory=dict)
    state_path: Path | None = None
    new_only: bool = False
    dry: bool = False
    out: TextIO | None = None
    """Where reports go (None: stderr as it is when written to)."""
    stop: threading.Event = field(default_factory=threading.Event)
    _file: StateFile | None = None
    _state: State | None = None

    def __enter__(self) -> NotifySession:
        if self.state_path is not None:
            from rootwatch.notify.state import StateFile

            self._file = StateFile(self.state_path)
            self._state = self._file.open(self.selection)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._file is not None:
            self._file.close()

    # ------------------------------------------------------------------------------------------

    def after_run(self, result: RunResult, engine: Engine | None = None) -> bool:
        """Notify about ``result``; returns True when a notifier failed."""
        from rootwatch.notify.root_usage import read_root_last_use
        from rootwatch.notify.run_message import run_digest

        last_use = read_root_last_use(engine, result.context.as_of) if engine is not None else {}
        routes, changes = list(self.routes), None
        if self._state is not None and self.new_only:
            routes, changes = self._changed_only(result)
        digest = run_digest(result, last_use=last_use, changes=changes, command=self.command)
        if self._state is not None and self._state.run_failure:
            digest = _with(digest, self._recovered_item(self._state.run_failure))
        deliveries = self._send(routes, digest)
        if deliveries is None:
            return False
        if self._state is not None and self._file is not None:
            self._remember(result, deliveries)
        return any(d.failed for d in deliveries)

    def send_digest(self, digest: Digest) -> bool:
        """Send a digest built elsewhere (query rows, root events); True when a notifier failed."""
        deliveries = self._send(self.routes, digest)
        return deliveries is not None and any(d.failed for d in deliveries)

    def run_failed(self, message: str) -> bool:
        """Notify that the run could not be made (once per failure with a state file)."""
        message = scrub(message)
        state = self._state
        if state is not None and state.run_failure and state.run_failure.get("message") == message:
            (self.out or sys.stderr).write(f"rootwatch: the run failed as before (notified at {state.run_failure.get('since')}); not notifying again\n")
            return False
        item = Item(
            level=Level.ERROR,
            kind="failed",
            line=f"FAILED   {self.command}: {message}",
            record={"status": "failed", "command": self.command, "reason": message, "at": _now()},
            headline=f"{self.command} failed",
        )
        deliveries = self._send(self.routes, Digest((item,), compose_plain))
        if deliveries is None:
            return False
        failed = any(d.failed for d in deliveries)
        if state is not None and self._file is not None and not failed:
            state.run_failure = {"message": message, "since": _now()}
            self._file.save(state)
        return failed

    # ------------------------------------------------------------------------------------------

    def _send(self, routes: Sequence[Route], digest: Digest) -> list[Delivery] | None:
        if self.dry:
            dry_run(routes, digest, self.out)
            return None
        deliveries = deliver(routes, digest, stop=self.stop)
        report(deliveries, self.out)
        return deliveries

    def _changed_only(self, result: RunResult) -> tuple[list[Route], Any]:
        """Per route: the findings new (or resolved) since its baseline; the digest's changes."""
        from rootwatch.notify.run_message import Changes

        assert self._state is not None
        current = ResultSet.from_run(result, "this run")
        new: set[Any] = set()
        resolved: dict[Any, Any] = {}
        still = 0
        routes = []
        for route in self.routes:
            compared = diff_results(self._state.baseline(route.name), current)
            keys = {c.key for c in (*compared.new_alarms, *compared.new_errors)}
            gone = {c.key: c for c in compared.resolved}
            new |= keys
            resolved.update(gone)
            still = max(still, len(compared.still_failing))
            allowed = frozenset(keys | set(gone))
            routes.append(replace(route, accepts=_both(route.accepts, allowed)))
        changes = Changes(frozenset(new), tuple(resolved.values()), still, f"state file {self.state_path}")
        return routes, changes

    def _remember(self, result: RunResult, deliveries: Sequence[Delivery]) -> None:
        """Advance the baseline of every route that delivered (or had nothing to say)."""
        from rootwatch.notify.state import advanced_baseline

        assert self._state is not None and self._file is not None
        current = ResultSet.from_run(result, "the state file")
        baselines: dict[str, ResultSet] = {}
        for route in self.routes:
            if not _failed(route, deliveries):
                baselines[route.name] = advanced_baseline(self._state.baseline(route.name), current)
            elif route.name in self._state.baselines:
                baselines[route.name] = self._state.baselines[route.name]  # hear it again next run
        self._state.baselines = baselines
        self._state.run_failure = None
        self._state.last_run = {"as_of": result.context.as_of.isoformat(), "exit_code": int(result.exit_code()),
                                "summary": result.summary.as_dict(), "at": _now()}  # fmt: skip
        self._file.save(self._state)

    def _recovered_item(self, failure: Mapping[str, str]) -> Item:
        since = failure.get("since", "?")
        return Item(
            level=Level.ERROR,
            kind="recovered",
            line=f"RECOVERED {self.command} runs again (failing since {since}: {failure.get('message', '')})",
            record={"status": "recovered", "command": self.command, "reason": failure.get("message", ""), "since": since, "at": _now()},
            headline="run recovered",
        )


def _failed(route: Route, deliveries: Sequence[Delivery]) -> bool:
    return any(d.failed for d in deliveries if d.route.name == route.name)


def _both(accepts: Any, allowed: frozenset[Any]) -> Any:
    """``accepts`` and "the item is one of ``allowed``" (items about the run pass)."""

    def check(item: Item) -> bool:
        if item.key is not None and not (item.key & allowed):
            return False
        return accepts is None or accepts(item)

    return check


def _with(digest: Digest, item: Item) -> Digest:
    return Digest((item, *digest.items), digest.compose, digest.origin)


def _now() -> str:
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat()
