"""``rootwatch events --state FILE``: the de-duplication state across restarts.

The same file discipline as the notifiers' ``--state`` (:class:`rootwatch.notify.state.StateFile`):
locked while a consumer uses it (two consumers of one file would each think they alerted), written
atomically after each delivered batch, readable only by its owner, and never reset silently: a file
that is not JSON or not an events state stops the command with its name.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any

from rootwatch.events.dedup import DedupState, Mark
from rootwatch.notify.state import StateFile

MARKER = "rootwatch_events_state"
FORMAT = 1


class EventStateFile(StateFile):
    """An events state file: ``open`` locks and reads it, ``save_dedup`` writes it."""

    def _read(self, selection: Mapping[str, Any]) -> Any:  # noqa: ARG002 - one kind of state per file
        data = self._document(MARKER, FORMAT, "rootwatch events state")
        if data is None:
            return DedupState()
        try:
            return DedupState(_times(data["alerts"]), _times(data["seen"]))
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise self._problem(f"corrupt state file: {type(exc).__name__} {exc}") from None

    def save_dedup(self, state: DedupState) -> None:
        from rootwatch.atomic import write_atomic

        document = {
            MARKER: FORMAT,
            "updated_at": datetime.now(timezone.utc).replace(microsecond=0).isoformat(),
            "alerts": {k: [m.event_time.isoformat(), m.noted_at.isoformat()] for k, m in sorted(state.alerts.items())},
            "seen": {k: [m.event_time.isoformat(), m.noted_at.isoformat()] for k, m in sorted(state.seen.items())},
        }
        write_atomic(self.path, json.dumps(document, indent=1) + "\n")
        self.path.chmod(0o600)


def _times(mapping: Mapping[str, list[str]]) -> dict[str, Mark]:
    return {str(k): Mark(datetime.fromisoformat(event_time), datetime.fromisoformat(noted_at)) for k, (event_time, noted_at) in dict(mapping).items()}
