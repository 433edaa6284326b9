"""The deployable templates of the root activity monitor, as the tests read them."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"
SPOKE = DEPLOY / "root-activity-spoke.yaml"
HUB = DEPLOY / "root-activity-hub.yaml"
EVENTS = REPO / "tests" / "fixtures" / "events"


def template(path: Path) -> dict[str, Any]:
    """The template as CloudFormation reads it (short-form tags as ``Fn::`` objects), via cfn-lint's decoder."""
    from cfnlint.decode import decode_str

    decoded, problems = decode_str(path.read_text())
    assert not problems, problems
    return json.loads(json.dumps(decoded))


def resource(path: Path, logical_id: str) -> dict[str, Any]:
    return template(path)["Resources"][logical_id]["Properties"]


def substitute(value: str, names: dict[str, str]) -> str:
    """An ``Fn::Sub`` string with its ``${Name}`` references replaced from ``names``."""
    return re.sub(r"\$\{([^}]+)\}", lambda m: names[m.group(1)], value)


def fixture_events() -> dict[str, list[dict[str, Any]]]:
    """Every sample event, by file stem (a ``.jsonl`` file holds several)."""
    found: dict[str, list[dict[str, Any]]] = {}
    for path in sorted(EVENTS.iterdir()):
        if path.suffix == ".json":
            found[path.stem] = [json.loads(path.read_text())]
        elif path.suffix == ".jsonl":
            found[path.stem] = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    return found
