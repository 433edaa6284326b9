"""How bad a root event is: an ordered list of rules, the first that matches decides.

Built in (after any rules of ``rootwatch.yaml``, which come first):

=========  ==================================================================================
critical   a console sign-in; any IAM change (credentials, MFA, users, roles, policies); a
           CloudTrail or AWS Config change; an STS or Organizations change made as root
high       a security group change; any other policy change (bucket, key, queue, topic policies:
           an event name containing ``Policy``), and KMS key deletion or disabling
medium     everything else (the default, configurable)
=========  ==================================================================================

"Change" means a call that is not read-only: CloudTrail's ``readOnly``, or, where a record lacks
it, an event name that does not start with ``Get``, ``List``, ``Describe`` or ``Head``.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

SEVERITIES = ("low", "medium", "high", "critical")
_READ_PREFIXES = ("Get", "List", "Describe", "Head", "BatchGet", "Lookup")


@dataclass(frozen=True)
class Rule:
    """Events matching every given criterion get ``severity``; ``label`` says why, in the message."""

    severity: str
    label: str
    event_sources: tuple[str, ...] = ()
    """``iam.amazonaws.com``; shell-style patterns (``*``); empty matches any."""
    event_names: tuple[str, ...] = ()
    """``ConsoleLogin``, ``*Policy*``; empty matches any."""
    read_only: bool | None = None
    """True: read-only calls only; False: changes only; None: both."""

    def matches(self, source: str, name: str, read_only: bool) -> bool:
        if self.read_only is not None and self.read_only != read_only:
            return False
        if self.event_sources and not any(fnmatch.fnmatchcase(source, p) for p in self.event_sources):
            return False
        return not self.event_names or any(fnmatch.fnmatchcase(name, p) for p in self.event_names)


BUILT_IN: tuple[Rule, ...] = (
    Rule("critical", "console sign-in", ("signin.amazonaws.com",), ("ConsoleLogin",)),
    Rule("critical", "IAM or credential change", ("iam.amazonaws.com",), read_only=False),
    Rule("critical", "CloudTrail change", ("cloudtrail.amazonaws.com",), read_only=False),
    Rule("critical", "AWS Config change", ("config.amazonaws.com",), read_only=False),
    Rule("critical", "STS or Organizations change", ("sts.amazonaws.com", "organizations.amazonaws.com"), read_only=False),
    Rule("high", "security group change", ("ec2.amazonaws.com",), ("*SecurityGroup*",), read_only=False),
    Rule("high", "policy change", (), ("*Policy*",), read_only=False),
    Rule("high", "KMS key deletion", ("kms.amazonaws.com",), ("ScheduleKeyDeletion", "DisableKey"), read_only=False),
)


@dataclass(frozen=True)
class Severity:
    """A severity and the rule's label (``critical``, ``console sign-in``)."""

    level: str
    label: str

    @property
    def rank(self) -> int:
        return SEVERITIES.index(self.level)


@dataclass(frozen=True)
class SeverityRules:
    """Configured rules first, then (unless turned off) the built-in ones, then the default."""

    rules: tuple[Rule, ...] = BUILT_IN
    default: str = "medium"

    def classify(self, record: Mapping[str, Any]) -> Severity:
        source = str(record.get("eventSource") or "")
        name = str(record.get("eventName") or "")
        read_only = is_read_only(record)
        for rule in self.rules:
            if rule.matches(source, name, read_only):
                return Severity(rule.severity, rule.label)
        return Severity(self.default, "other root activity")


def is_read_only(record: Mapping[str, Any]) -> bool:
    flag = record.get("readOnly")
    if isinstance(flag, bool):
        return flag
    name = str(record.get("eventName") or "")
    return name.startswith(_READ_PREFIXES)


def rules_from_config(section: Mapping[str, Any] | None) -> SeverityRules:
    """The ``severity:`` part of ``events:`` in ``rootwatch.yaml`` (checked by its JSON Schema)."""
    if not section:
        return SeverityRules()
    own = tuple(_rule(spec) for spec in section.get("rules") or ())
    built_in = BUILT_IN if section.get("built_in", True) else ()
    return SeverityRules(own + built_in, str(section.get("default", "medium")))


def _rule(spec: Mapping[str, Any]) -> Rule:
    def patterns(key: str) -> tuple[str, ...]:
        value = spec.get(key)
        values: Sequence[Any] = value if isinstance(value, list) else ([value] if value is not None else [])
        return tuple(str(v) for v in values)

    read_only = spec.get("read_only")
    return Rule(str(spec["severity"]), str(spec.get("label") or spec["severity"]), patterns("event_source"), patterns("event_name"),
                read_only if isinstance(read_only, bool) else None)  # fmt: skip
