"""The ``events:`` section of ``rootwatch.yaml``: severity rules, the de-duplication window, names.

The file is the notifiers' file (``--notify-config``, else ``rootwatch.yaml`` beside the mod or in
the user's configuration directory), checked against ``schemas/config.schema.json`` through
:mod:`rootwatch.yamlschema`, so a mistake is reported at its file and line and editors complete the
section. Every setting is optional::

    events:
      dedup_window: 15m
      severity:
        default: medium
        rules:
          - {severity: critical, label: KMS key scheduled for deletion,
             event_source: kms.amazonaws.com, event_name: ScheduleKeyDeletion}
      account_names:
        "111111111111": example-prod
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rootwatch.errors import ConfigError
from rootwatch.events.severity import SeverityRules, rules_from_config

DEFAULT_WINDOW = 15 * 60.0
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*$")
_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_duration(text: str | float, where: str) -> float:
    """``30s``, ``15m``, ``1h``, ``1d`` or a number of seconds (0 allowed: no de-duplication)."""
    if isinstance(text, (int, float)) and not isinstance(text, bool) and text >= 0:
        return float(text)
    match = _DURATION.match(str(text))
    if not match:
        raise ConfigError(f"{where}: {text!r} is not a duration", hint="e.g. 30s, 15m, 1h, or a number of seconds")
    return float(match.group(1)) * _UNITS[match.group(2)]


@dataclass(frozen=True)
class EventsConfig:
    """How events are judged; the defaults when no file has an ``events:`` section."""

    severity: SeverityRules = field(default_factory=SeverityRules)
    dedup_window: float = DEFAULT_WINDOW
    account_names: Mapping[str, str] = field(default_factory=dict)
    path: Path | None = None

    @classmethod
    def load(cls, path: Path | None) -> EventsConfig:
        """The ``events:`` section of ``path`` (None: the defaults); ConfigError naming file:line."""
        if path is None:
            return cls()
        from rootwatch.yamlschema import load_checked

        document, problems = load_checked(path, "config")
        if problems:
            first = problems[0]
            more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
            raise ConfigError(f"{first}{more}", hint="rootwatch.yaml is described in docs/events.md and docs/alerts.md")
        section: Mapping[str, Any] = (document or {}).get("events") or {}
        window = section.get("dedup_window")
        return cls(
            severity=rules_from_config(section.get("severity")),
            dedup_window=DEFAULT_WINDOW if window is None else parse_duration(window, f"{path}: events: dedup_window"),
            account_names={str(k): str(v) for k, v in (section.get("account_names") or {}).items()},
            path=path,
        )


def find_config(explicit: Path | None, mod_location: Path | None) -> Path | None:
    """The file the notifiers read too: ``--notify-config``, else the first default that exists."""
    from rootwatch.errors import UsageError
    from rootwatch.notify.config import default_config_paths

    if explicit is not None:
        if not explicit.is_file():
            raise UsageError(f"--notify-config {explicit}: no such file")
        return explicit
    return next((p for p in default_config_paths(mod_location) if p.is_file()), None)
