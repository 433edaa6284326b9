"""EventBridge rules from files: ``list-rules.json``, ``list-rules/<bus>.json`` and
``list-targets-by-rule/[<bus>/]<rule>.json`` in a region folder (docs/snapshot-files.md).

``aws events list-rules`` prints the rules of one bus, the default one unless ``--event-bus-name``
is given, so the default bus's rules are ``list-rules.json`` and a custom bus's are
``list-rules/<bus>.json``. Targets are one ``aws events list-targets-by-rule`` output per rule,
named by the rule, under a folder named by the bus for a rule that is not on the default bus.

As for trails' per-trail files, each file is checked on its own, so a bad targets file is left out
alone (its rule keeps ``targets`` NULL, "not captured"), and a targets file naming a rule that no
rules file of its bus lists is a bad file (a typo must not silently drop evidence).

A region folder whose default-bus rules were not read (no ``list-rules.json``, or one skipped as
bad), or one of whose custom-bus rule files was skipped, is recorded as ``not_captured`` for
``aws_eventbridge_rule`` in that account and region: an empty rule list there is no evidence that
nothing watches root.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from rootwatch.errors import Problem
from rootwatch.snapshot.from_files.layout import REGION_FILES, AccountFiles, RegionFiles
from rootwatch.snapshot.from_files.reading import BadFile, read_json, transformed
from rootwatch.snapshot.metadata import NOT_CAPTURED, SnapshotIssue
from rootwatch.snapshot.transforms import Origin, Row, eventbridge_rule_rows, rule_targets
from rootwatch.snapshot.transforms.eventbridge import DEFAULT_BUS

TABLE = "aws_eventbridge_rule"
RULES_FILE = "list-rules.json"
RULES_FOLDER = "list-rules"
TARGETS_FOLDER = "list-targets-by-rule"


def _rule_files(region: RegionFiles, problems: list[Problem]) -> dict[str, Path]:
    """Event bus name → its list-rules output in this region folder."""
    found: dict[str, Path] = {}
    if RULES_FILE in region.files:
        found[DEFAULT_BUS] = region.files[RULES_FILE]
    for bus, path in region.nested.get(RULES_FOLDER, {}).items():
        if bus == DEFAULT_BUS:
            problems.append(Problem(path, None, f"the default bus's rules go in {RULES_FILE} (aws events list-rules), "
                                    f"not {RULES_FOLDER}/{DEFAULT_BUS}.json"))
            continue
        found[bus] = path
    return found


def _target_files(region: RegionFiles, problems: list[Problem]) -> dict[tuple[str, str], Path]:
    """(event bus, rule name) → its list-targets-by-rule output in this region folder."""
    found: dict[tuple[str, str], Path] = {}
    for key, path in region.nested.get(TARGETS_FOLDER, {}).items():
        bus, _, rule = key.rpartition("/")
        if bus == DEFAULT_BUS:
            problems.append(Problem(path, None, f"a default-bus rule's targets go in {TARGETS_FOLDER}/{rule}.json, "
                                    f"not under {TARGETS_FOLDER}/{DEFAULT_BUS}/"))
            continue
        found[(bus or DEFAULT_BUS, rule)] = path
    return found


def read_event_rules(region: RegionFiles, origin: Origin, problems: list[Problem]) -> list[Row]:
    """The ``aws_eventbridge_rule`` rows of one region folder; bad files are added to ``problems``."""
    rule_files = _rule_files(region, problems)
    targets: dict[tuple[str, str], Any] = {}
    target_files = _target_files(region, problems)
    for key, path in target_files.items():
        try:
            response = read_json(path, "aws events list-targets-by-rule")
            transformed(path, rule_targets, response)
            targets[key] = response
        except BadFile as exc:
            problems.append(exc.problem)
    rows: list[Row] = []
    listed: set[tuple[str, str]] = set()
    unreadable: set[str] = set()
    for bus, path in sorted(rule_files.items()):
        try:
            response = read_json(path, REGION_FILES[RULES_FILE])
            own = {rule: found for (on, rule), found in targets.items() if on == bus}
            bus_rows = transformed(path, eventbridge_rule_rows, response, origin=origin, region=region.region,
                                   event_bus=bus, targets=own)
        except BadFile as exc:
            problems.append(exc.problem)
            unreadable.add(bus)
            continue
        rows += bus_rows
        listed.update((bus, row["name"]) for row in bus_rows)
    for (bus, rule), path in sorted(target_files.items()):
        if (bus, rule) in listed or bus in unreadable or (bus, rule) not in targets:
            continue  # a rule in a rules file that failed may well be there: that file is the problem
        where = RULES_FILE if bus == DEFAULT_BUS else f"{RULES_FOLDER}/{bus}.json"
        problems.append(Problem(path, None, f"no rule named {rule} on event bus {bus} in this region's {where}"))
    return rows


def rules_not_captured(accounts: Iterable[AccountFiles], skipped: set[Path], root: Path) -> tuple[SnapshotIssue, ...]:
    """A ``not_captured`` issue per account region whose EventBridge rules were not all read."""
    issues: list[SnapshotIssue] = []
    for account in accounts:
        if not account.regions:
            issues.append(SnapshotIssue(kind=NOT_CAPTURED, account_id=account.account_id, source=TABLE,
                                        message=f"{_relative(account.path, root)}: no region folder, so no {RULES_FILE}"))
        for name, region in sorted(account.regions.items()):
            default = region.files.get(RULES_FILE)
            if default is None:
                why = f"{_relative(region.path / RULES_FILE, root)}: no such file"
            elif default in skipped:
                why = f"{_relative(default, root)}: skipped as a bad file"
            else:
                bad = sorted(p for p in region.nested.get(RULES_FOLDER, {}).values() if p in skipped)
                if not bad:
                    continue
                why = f"{_relative(bad[0], root)}: skipped as a bad file"
            issues.append(SnapshotIssue(kind=NOT_CAPTURED, account_id=account.account_id, region=name, source=TABLE,
                                        message=why))
    return tuple(issues)


def _relative(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return str(path)
