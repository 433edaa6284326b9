"""Applying a plan: every call in order, one at a time, each outcome logged as it happens.

A call that fails is recorded with the AWS error code and message and the run goes on: the calls
that need it are skipped (a topic's alarm when the topic could not be made), every other call is
still made, so a partial failure never hides what was done. ``sts:AssumeRoot`` keeps the
credentials it returns for the calls that act as that member's root user; they are never logged.
Ctrl-C stops before the next call; what was done until then is logged and reported.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from rootwatch.remediate.access import AccessFailed, ClientSource
from rootwatch.remediate.journal import Journal
from rootwatch.remediate.model import Call, CallOutcome, Plan

RETRY_ATTEMPTS = 6
RETRY_DELAY = 10.0
"""Seconds between attempts of a call whose error means "not yet" (an IAM role propagating)."""

_SECRET_KEYS = {"Credentials", "ResponseMetadata", "SecretAccessKey", "SessionToken"}


@dataclass(frozen=True)
class Applied:
    """The outcome of each call, in plan order; ``interrupted`` when Ctrl-C cut the run short (the
    calls not reached are absent)."""

    outcomes: tuple[CallOutcome, ...]
    interrupted: bool = False

    def of(self, call: Call) -> CallOutcome | None:
        return next((outcome for outcome in self.outcomes if outcome.call.key == call.key), None)


def apply_plan(
    plan: Plan,
    clients: ClientSource,
    journal: Journal,
    *,
    progress: Callable[[str], None] | None = None,
    sleep: Callable[[float], None] = time.sleep,
    retry_delay: float = RETRY_DELAY,
) -> Applied:
    """Make every call of ``plan``; never raises for an AWS error (Ctrl-C ends the run early)."""
    ids = plan.call_ids()
    done: dict[str, CallOutcome] = {}
    outcomes: list[CallOutcome] = []
    calls = plan.calls
    try:
        for call in calls:
            blocked = [ids.get(key, "?") for key in call.needs if key in done and done[key].status != "applied"]
            if blocked:
                outcome = CallOutcome(call, "skipped", _now(), "NotAttempted", f"call {', '.join(blocked)} it needs did not succeed")
            else:
                outcome = _make(call, clients, sleep, retry_delay)
            done[call.key] = outcome
            outcomes.append(outcome)
            journal.call(ids[call.key], outcome, _identity(clients, call))
            if progress is not None:
                progress(_progress_line(ids[call.key], len(calls), outcome))
    except KeyboardInterrupt:
        return Applied(tuple(outcomes), interrupted=True)
    return Applied(tuple(outcomes))


def _make(call: Call, clients: ClientSource, sleep: Callable[[float], None], retry_delay: float) -> CallOutcome:
    from botocore import xform_name
    from botocore.exceptions import BotoCoreError, ClientError
    from botocore.parsers import ResponseParserError

    from rootwatch.snapshot.from_aws_account import aws_error

    attempt = 0
    while True:
        attempt += 1
        try:
            client = clients.client(call.acting_as, call.account_id, call.service, call.region)
            response = getattr(client, xform_name(call.operation))(**call.parameters)
        except (AccessFailed, ClientError, BotoCoreError, ResponseParserError) as exc:
            code, message = aws_error(exc)
            if code in call.retry_codes and attempt < RETRY_ATTEMPTS:
                sleep(retry_delay)
                continue
            return CallOutcome(call, "failed", _now(), code, message)
        if call.service == "sts" and call.operation == "AssumeRoot":
            clients.open_root_session(call.parameters["TargetPrincipal"], response["Credentials"], purpose="delete")
        return CallOutcome(call, "applied", _now(), result=summarize(response))


def summarize(response: Mapping[str, Any]) -> dict[str, Any]:
    """The identifying values of a response (ARNs, names, states), never credentials."""
    summary: dict[str, Any] = {}
    for key, value in response.items():
        if key in _SECRET_KEYS:
            continue
        if isinstance(value, (str, bool, int, float)) or (isinstance(value, list) and all(isinstance(v, str) for v in value)):
            summary[key] = value
        elif isinstance(value, Mapping) and isinstance(value.get("Arn"), str):
            summary[key] = {"Arn": value["Arn"]}
    return summary


def _identity(clients: ClientSource, call: Call) -> Mapping[str, Any]:
    """Who made the call: ``sts get-caller-identity`` of its credentials (the administrator's for a
    root session, which is opened by and answers to that administrator)."""
    from botocore.exceptions import BotoCoreError, ClientError

    actor = "admin" if call.acting_as in ("admin", "root") else call.acting_as
    try:
        identity = dict(clients.identity(actor, call.account_id))
    except (AccessFailed, ClientError, BotoCoreError) as exc:
        identity = {"error": f"{type(exc).__name__}: {exc}"}
    if call.acting_as == "root":
        identity["acting_as"] = f"root user of {call.account_id} (sts:AssumeRoot session, IAMDeleteRootUserCredentials)"
    return identity


def _progress_line(number: str, total: int, outcome: CallOutcome) -> str:
    call = outcome.call
    where = f"{call.account_id} {call.region}"
    if outcome.status == "applied":
        return f"[{number}/{total}] {call.action} in {where}: done"
    return f"[{number}/{total}] {call.action} in {where}: {outcome.status}: {outcome.error}"


def _now() -> datetime:
    return datetime.now(timezone.utc)
