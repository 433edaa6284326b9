"""JSON in Powerpipe's export shape, so tooling written for Powerpipe reads it unchanged.

The root group is ``root_result_group`` with nested ``groups`` and ``controls``; each control has
``results`` with ``dimensions`` as key/value pairs, ``tags`` and a ``summary`` by status. rootwatch
adds a top-level ``rootwatch`` object with the as-of instant, the data source and the variables.
"""

from __future__ import annotations

import json
from typing import Any

from rootwatch.results import (
    ROOT_GROUP_ID,
    ControlRun,
    GroupRun,
    RunResult,
    qualified_benchmark,
    qualified_control,
)


# Powerpipe writes a control's run state as a number (its JSON template maps complete to 4 and
# error to 8); tools typed against that export fail on a string.
RUN_STATUS_CODES = {"complete": 4, "error": 8}


def _control(run: ControlRun) -> dict[str, Any]:
    node = run.node
    return {
        "summary": run.summary.as_dict(),
        "results": [
            {
                "reason": row.reason,
                "resource": row.resource,
                "status": row.status.value,
                "dimensions": [{"key": k, "value": v} for k, v in row.dimensions],
            }
            for row in run.rows
        ],
        "control_id": qualified_control(node.id),
        "description": node.description,
        "severity": node.severity or "",
        "tags": dict(node.tags),
        "title": node.title,
        "run_status": RUN_STATUS_CODES[run.run_status],
        "run_error": run.error or "",
        "control": node.control.id if node.control else None,
        "duration_ms": round(run.duration_s * 1000, 3),
    }


def _group(group: GroupRun) -> dict[str, Any]:
    groups = [c for c in group.children if isinstance(c, GroupRun)]
    controls = [c for c in group.children if isinstance(c, ControlRun)]
    return {
        "group_id": group.id if group.id == ROOT_GROUP_ID else qualified_benchmark(group.id),
        "title": group.title,
        "description": group.description,
        "tags": dict(group.tags),
        "summary": {"status": group.summary.as_dict()},
        "groups": [_group(g) for g in groups],
        "controls": [_control(c) for c in controls],
    }


def document(result: RunResult) -> dict[str, Any]:
    """The export as a JSON-ready dictionary."""
    ctx = result.context
    body = _group(result.root)
    body["rootwatch"] = {
        "tool_version": ctx.tool_version,
        "as_of": ctx.as_of.isoformat(),
        "started_at": ctx.started_at.isoformat(),
        "ended_at": ctx.ended_at.isoformat(),
        "engine": ctx.engine_kind,
        "source": ctx.engine_description,
        "snapshot_captured_at": ctx.snapshot.captured_at.isoformat() if ctx.snapshot else None,
        "variables": dict(ctx.variables),
        "exit_code": int(result.exit_code()),
    }
    return body


def render(result: RunResult) -> str:
    return json.dumps(document(result), indent=2, default=str) + "\n"
