"""The IAM credential report: generate it, wait for it with exponential backoff, fetch it.

``GenerateCredentialReport`` answers ``STARTED``, ``INPROGRESS`` or ``COMPLETE`` and throttles with
``LimitExceeded``; ``GetCredentialReport`` can answer ``ReportInProgress`` (still being built),
``ReportNotPresent`` or ``ReportExpired`` (generate again). Every wait doubles, from
``initial_delay`` up to ``max_delay``, with jitter so that many accounts polled at once do not
call in step; the whole wait is capped by ``timeout``. Never a tight loop.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Backoff:
    """Delays between credential report polls (seconds)."""

    initial_delay: float = 2.0
    max_delay: float = 30.0
    timeout: float = 300.0

    def __post_init__(self) -> None:
        if self.initial_delay <= 0 or self.max_delay < self.initial_delay or self.timeout <= 0:
            raise ValueError("backoff needs 0 < initial_delay <= max_delay and a positive timeout")


class AwsFailure(Exception):
    """A failure already reduced to an AWS-style error code and message."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


class ReportUnavailable(AwsFailure):
    """The report could not be had: ``code`` is the last AWS error code (or ``Timeout``)."""


_RETRY_GET = {"ReportInProgress"}
_REGENERATE = {"ReportNotPresent", "ReportExpired"}
_THROTTLED = {"LimitExceeded", "LimitExceededException", "Throttling", "ThrottlingException"}


def fetch_credential_report(
    iam: Any,
    backoff: Backoff = Backoff(),
    *,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
    requested: bool = False,
) -> Mapping[str, Any]:
    """A GetCredentialReport response for the account behind ``iam`` (a boto3 IAM client).

    Generates the report when needed (AWS serves a cached one for 4 hours, so asking is cheap).
    ``requested``: :func:`request_credential_report` already asked for it, so the report is
    fetched first and generated again only if AWS says it is gone. Raises
    :class:`ReportUnavailable` when it is not COMPLETE within ``backoff.timeout`` or AWS refuses
    (AccessDenied and other errors pass through with their code).
    """
    from botocore.exceptions import ClientError

    deadline = clock() + backoff.timeout
    delay = backoff.initial_delay
    generate = not requested
    last = ("Timeout", "the report was not ready")

    def wait() -> None:
        nonlocal delay
        remaining = deadline - clock()
        if remaining <= 0:
            raise ReportUnavailable("Timeout", f"credential report not ready after {backoff.timeout:g} s ({last[0]}: {last[1]})")
        # Equal jitter: at least half the current delay, so the wait always grows.
        pause = min(remaining, delay / 2 + random.uniform(0, delay / 2))
        sleep(pause)
        delay = min(delay * 2, backoff.max_delay)

    while True:
        if generate:
            try:
                state = iam.generate_credential_report().get("State")
            except ClientError as exc:
                code, message = _error(exc)
                if code not in _THROTTLED:
                    raise ReportUnavailable(code, message) from None
                last = (code, message)
                wait()
                continue
            if state != "COMPLETE":
                last = ("State", f"GenerateCredentialReport says {state}")
                wait()
                continue
            generate = False
        try:
            return iam.get_credential_report()
        except ClientError as exc:
            code, message = _error(exc)
            if code in _REGENERATE:
                generate = True
            elif code not in _RETRY_GET and code not in _THROTTLED:
                raise ReportUnavailable(code, message) from None
            last = (code, message)
            wait()


def request_credential_report(iam: Any) -> bool:
    """Ask AWS to start building the report, without waiting for it; whether it was asked.

    A capture asks for every account's report before reading anything else, and fetches it last
    with :func:`fetch_credential_report` (``requested=True``), so that AWS builds it while the
    regions are read. A refusal (AccessDenied, throttling) is not recorded here: the fetch asks
    again, and records what it then gets.
    """
    from botocore.exceptions import ClientError

    try:
        iam.generate_credential_report()
    except ClientError:
        return False
    return True


def _error(exc: Any) -> tuple[str, str]:
    error = exc.response.get("Error", {})
    return str(error.get("Code") or "Unknown"), str(error.get("Message") or exc)
