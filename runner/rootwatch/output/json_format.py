"""JSON in Powerpipe's export shape, so tooling written for Powerpipe reads it unchanged.

The root group is ``root_result_group`` with nested ``groups`` and ``controls``; each control has
``results`` with ``dimensions`` as key/value pairs, ``tags`` and a ``summary`` by status. rootwatch
adds a top-level ``rootwatch`` object with the as-of instant, the data source, the variables and
the accounts' names, and an ``account_name`` beside each result whose account has one.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from rootwatch.results import (
    ROOT_GROUP_ID,
    ControlRun,
    GroupRun,
    ResultRow,
    RunResult,
    qualified_benchmark,
    qualified_control,
)


# Powerpipe writes a control's run state as a number (its JSON template maps complete to 4 and
# error to 8); tools typed against that export fail on a string.
RUN_STATUS_CODES = {"complete": 4, "error": 8}


def _result(row: ResultRow, names: Mapping[str, str]) -> dict[str, Any]:
    result: dict[str, Any] = {
        "reason": row.reason,
        "resource": row.resource,
        "status": row.status.value,
        "dimensions": [{"key": k, "value": v} for k, v in row.dimensions],
    }
    name = names.get(row.dimension("account_id") or "")
    if name:
        result["account_name"] = name  # beside Powerpipe's keys: readers of its shape ignore it
    return result


def _control(run: ControlRun, names: Mapping[str, str]) -> dict[str, Any]:
    node = run.node
    return {
        "summary": run.summary.as_dict(),
        "results": [_result(row, names) for row in run.rows],
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


def _group(group: GroupRun, names: Mapping[str, str]) -> dict[str, Any]:
    groups = [c for c in group.children if isinstance(c, GroupRun)]
    controls = [c for c in group.children if isinstance(c, ControlRun)]
    return {
        "group_id": group.id if group.id == ROOT_GROUP_ID else qualified_benchmark(group.id),
        "title": group.title,
        "description": group.description,
        "tags": dict(group.tags),
        "summary": {"status": group.summary.as_dict()},
        "groups": [_group(g, names) for g in groups],
        "controls": [_control(c, names) for c in controls],
    }


def document(result: RunResult) -> dict[str, Any]:
    """The export as a JSON-ready dictionary."""
    ctx = result.context
    body = _group(result.root, ctx.account_names)
    body["rootwatch"] = {
        "tool_version": ctx.tool_version,
        "as_of": ctx.as_of.isoformat(),
        "started_at": ctx.started_at.isoformat(),
        "ended_at": ctx.ended_at.isoformat(),
        "engine": ctx.engine_kind,
        "source": ctx.engine_description,
        "snapshot_captured_at": ctx.snapshot.captured_at.isoformat() if ctx.snapshot else None,
        "variables": dict(ctx.variables),
        "account_names": dict(sorted(ctx.account_names.items())),
        "exit_code": int(result.exit_code()),
    }
    return body


def render(result: RunResult) -> str:
    return json.dumps(document(result), indent=2, default=str) + "\n"
