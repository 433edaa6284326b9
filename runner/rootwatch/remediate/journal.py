"""The remediation log: one JSON object per line, appended and synced as each call is made.

Every change rootwatch makes is on record even when the run is interrupted or the process dies:
what was called (action, account, region, parameters), when, by which identity (``sts
get-caller-identity``), for which findings, and what came of it. A run starts with a ``run`` record
(its id, the controls, the source, the plan's size) and ends with an ``end`` record (the verdicts).
The default location is ``$XDG_STATE_HOME/rootwatch/remediate.jsonl`` (``~/.local/state/...``).
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Mapping
from datetime import datetime, timezone
from pathlib import Path
from typing import IO, Any

from rootwatch.errors import UsageError
from rootwatch.remediate.model import CallOutcome


def default_log_path() -> Path:
    state = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(state) / "rootwatch" / "remediate.jsonl"


class Journal:
    """An open remediation log; ``run_id`` ties the records of one run together."""

    def __init__(self, path: Path, handle: IO[str] | None, run_id: str) -> None:
        self.path = path
        self.run_id = run_id
        self._handle = handle

    @classmethod
    def open(cls, path: Path) -> Journal:
        """Open ``path`` for appending (creating its directory); a usage error when it cannot be,
        raised before anything is changed."""
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            handle = path.open("a", encoding="utf-8")
        except OSError as exc:
            raise UsageError(f"cannot write the remediation log {path}: {exc.strerror or exc}", hint="pass --log FILE to write it elsewhere") from None
        return cls(path, handle, uuid.uuid4().hex)

    @classmethod
    def discard(cls) -> Journal:
        """A journal that writes nothing (tests of the executor alone)."""
        return cls(Path(os.devnull), None, uuid.uuid4().hex)

    def write(self, record: Mapping[str, Any]) -> None:
        if self._handle is None:
            return
        line = json.dumps({"run": self.run_id, "time": _now(), **record}, sort_keys=False, default=str)
        self._handle.write(line + "\n")
        self._handle.flush()
        os.fsync(self._handle.fileno())

    def call(self, call_id: str, outcome: CallOutcome, identity: Mapping[str, Any]) -> None:
        call = outcome.call
        self.write(
            {
                "record": "call",
                "call": call_id,
                "action": call.action,
                "account_id": call.account_id,
                "region": call.region,
                "parameters": call.parameters,
                "fixes": [{"control": control, "account_id": account} for control, account in call.fixes],
                "identity": dict(identity),
                "outcome": outcome.status,
                "at": outcome.time.isoformat(),
                "error": {"code": outcome.error_code, "message": outcome.error_message} if outcome.error_code else None,
                "result": dict(outcome.result),
            }
        )

    def close(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None


def _now() -> str:
    return datetime.now(timezone.utc).isoformat()
