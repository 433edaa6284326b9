"""The ``--state`` file: what each notifier was last told, so a scheduled run tells only what changed.

For each notifier the file keeps the failing results (alarms and errors) of the last run delivered
to it. A new run is compared with that baseline by :func:`rootwatch.diff.diff_results`, the same
comparison as ``rootwatch diff``: new alarms and new errors are sent (and, at ``verbose``,
resolved findings). A notifier that could not deliver keeps its old baseline, so it hears the same
news again next time instead of never. The file also remembers a failed run (endpoint down), so
the failure is reported once and the recovery once.

The file is JSON (``"rootwatch_state": 1``) written atomically, and locked while a run uses it, so
two overlapping cron runs cannot both notify. A file that is not JSON, not a rootwatch state, of a
newer format, or written for another selection (``benchmark run cis_v700`` vs ``root``) is an
error naming the file; it is never silently reset.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from rootwatch.diff import FAILING, Outcome, ResultKey, ResultSet, diff_results
from rootwatch.errors import InputError, Problem, UsageError
from rootwatch.status import Status

FORMAT = 1
MARKER = "rootwatch_state"


@dataclass
class State:
    """What a state file holds."""

    selection: Mapping[str, Any]
    baselines: dict[str, ResultSet] = field(default_factory=dict)
    run_failure: dict[str, str] | None = None
    last_run: dict[str, Any] | None = None

    def baseline(self, notifier: str) -> ResultSet:
        """The failing results last delivered to ``notifier`` (none for a notifier new to the file)."""
        return self.baselines.get(notifier) or ResultSet("(no previous run)", {}, None)


def _failing(whole: ResultSet) -> ResultSet:
    """The alarms and errors of ``whole``: all a baseline needs for new, still failing and resolved."""
    return ResultSet(whole.source, {k: o for k, o in whole.outcomes.items() if o.status in FAILING}, whole.as_of)


def advanced_baseline(previous: ResultSet, current: ResultSet) -> ResultSet:
    """The baseline after a run with every result ``current`` was delivered: its failing results,
    plus the ``previous`` baseline's failing results that the run no longer assesses (skipped or
    absent). Losing the evidence says nothing about the finding, so it is kept: when the evidence
    returns and the finding still fails, it is still failing, not announced again as new."""
    unassessed = diff_results(previous, current).no_longer_assessed
    kept = {change.key: change.old for change in unassessed if change.old is not None}
    return ResultSet(current.source, {**kept, **_failing(current).outcomes}, current.as_of)


class StateFile:
    """A state file on disk, locked from :meth:`open` until :meth:`close`."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock: int | None = None

    def open(self, selection: Mapping[str, Any]) -> State:
        """Lock the file and read it (an absent file is a first run); raises naming the file."""
        directory = self.path.parent if str(self.path.parent) else Path(".")
        if not directory.is_dir():
            raise UsageError(f"--state {self.path}: directory {directory} does not exist", hint="create it first")
        if not os.access(directory, os.W_OK):
            raise UsageError(f"--state {self.path}: directory {directory} is not writable")
        lock_path = self.path.with_name(self.path.name + ".lock")
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise UsageError(
                f"--state {self.path}: another rootwatch run is using this state file ({lock_path} is locked)",
                hint="let it finish, or give each scheduled job its own --state file",
            ) from None
        self._lock = fd
        try:
            return self._read(selection)
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        if self._lock is not None:
            os.close(self._lock)
            self._lock = None

    def save(self, state: State) -> None:
        from rootwatch.atomic import write_atomic

        write_atomic(self.path, json.dumps(encode(state), indent=1, ensure_ascii=False) + "\n")
        with contextlib.suppress(OSError):
            os.chmod(self.path, 0o600)  # reasons can name key ids and accounts: keep it the owner's

    def _problem(self, message: str, line: int | None = None) -> InputError:
        return InputError(
            Problem(self.path, line, message),
            hint="point --state at another file, or move this one away to start afresh (every current alarm is then new)",
        )

    def _document(self, marker: str, version: int, kind: str) -> dict[str, Any] | None:
        """The file's JSON object, checked to carry ``marker`` at ``version``; None when absent.
        ``kind`` names the state in messages ("rootwatch state", "rootwatch events state")."""
        try:
            text = self.path.read_text("utf-8")
        except FileNotFoundError:
            return None
        except (OSError, UnicodeDecodeError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else "not UTF-8 text"
            raise self._problem(f"cannot read the state file: {reason}") from None
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise self._problem(f"corrupt state file: not valid JSON ({exc.msg}, column {exc.colno})", exc.lineno) from None
        if not isinstance(data, dict) or marker not in data:
            raise self._problem(f"not a {kind} file (no \"{marker}\" marker)")
        if data[marker] != version:
            raise self._problem(f"state file format {data[marker]!r}; this rootwatch reads format {version}")
        return data

    def _read(self, selection: Mapping[str, Any]) -> State:
        data = self._document(MARKER, FORMAT, "rootwatch state")
        if data is None:
            return State(dict(selection))
        if data.get("selection") != dict(selection):
            raise self._problem(
                f"written for {describe_selection(data.get('selection'))}, but this run is {describe_selection(selection)}; "
                "a state file belongs to one selection"
            )
        try:
            return decode(data)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise self._problem(f"corrupt state file: {type(exc).__name__} {exc}") from None


@contextlib.contextmanager
def opened(path: Path, selection: Mapping[str, Any]) -> Iterator[tuple[StateFile, State]]:
    handle = StateFile(path)
    state = handle.open(selection)
    try:
        yield handle, state
    finally:
        handle.close()


def describe_selection(selection: Any) -> str:
    if not isinstance(selection, Mapping):
        return "an unknown selection"
    text = f"{selection.get('command', '?')} {' '.join(selection.get('targets') or [])}".strip()
    filters = [f"--tag {t}" for t in selection.get("tags") or []] + [f"--where {w!r}" for w in selection.get("where") or []]
    return "'" + " ".join([text, *filters]) + "'"


def encode(state: State) -> dict[str, Any]:
    return {
        MARKER: FORMAT,
        "selection": dict(state.selection),
        "updated_at": datetime.now(timezone.utc).isoformat(),
        "last_run": state.last_run,
        "run_failure": state.run_failure,
        "baselines": {
            name: {
                "as_of": results.as_of,
                "failing": [
                    {**key.as_dict(), "status": outcome.status.value, "reason": outcome.reason, "title": outcome.title}
                    for key, outcome in sorted(results.outcomes.items())
                ],
            }
            for name, results in sorted(state.baselines.items())
        },
    }


def decode(data: Mapping[str, Any]) -> State:
    baselines: dict[str, ResultSet] = {}
    for name, entry in dict(data["baselines"]).items():
        outcomes: dict[ResultKey, Outcome] = {}
        for row in entry["failing"]:
            status = Status(row["status"])
            dims = tuple(sorted((str(k), None if v is None else str(v)) for k, v in dict(row["dimensions"]).items()))
            key = ResultKey(str(row["control_id"]), str(row["resource"]), dims)
            outcomes[key] = Outcome(status, str(row["reason"]), str(row.get("title", "")))
        baselines[str(name)] = ResultSet("the state file", outcomes, entry.get("as_of"))
    failure = data.get("run_failure")
    if failure is not None and not (isinstance(failure, dict) and isinstance(failure.get("message"), str)):
        raise ValueError("run_failure must be null or an object with a message")
    return State(dict(data["selection"]), baselines, failure, data.get("last_run"))
