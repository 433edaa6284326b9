"""Sending a digest to every route: levels, filters, retries with backoff, a bounded total time.

Each route (a notifier with its level, filters and message shape) gets the items it should hear, as
one message composed for exactly those items; a route with nothing to hear sends nothing. Routes are
served in parallel, each retried on transient failures (timeouts, 5xx, throttling) with doubling
waits, never longer in all than its ``timeout``. When some routes fail and others do not, the
others are told which failed (an ``error``-level item: every level hears notifier problems).
"""

from __future__ import annotations

import random
import sys
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TextIO

from rootwatch.notify import DeliveryError, Notifier
from rootwatch.notify.message import ComposeOptions, Digest, Item, Level, Message, plural
from rootwatch.notify.secrets import scrub


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to try one route."""

    attempts: int = 4
    backoff: float = 2.0
    """Seconds before the second attempt; each later wait doubles (with jitter)."""
    timeout: float = 120.0
    """The most time spent on the route in all, waits and attempts included."""


@dataclass(frozen=True)
class Route:
    """A notifier and what surrounds it."""

    name: str
    notifier: Notifier
    level: Level = Level.INFO
    accepts: Callable[[Item], bool] | None = None
    compose: ComposeOptions = ComposeOptions()
    retry: RetryPolicy = RetryPolicy()

    def selects(self, items: Sequence[Item]) -> list[Item]:
        """The items this route hears: at or below its level, and through its filters."""
        return [i for i in items if i.level <= self.level and (self.accepts is None or self.accepts(i))]

    @property
    def label(self) -> str:
        return f"{self.name} ({self.notifier.description})"


@dataclass(frozen=True)
class Delivery:
    """What happened on one route."""

    route: Route
    items: int
    error: str | None = None
    attempts: int = 0
    seconds: float = 0.0

    @property
    def failed(self) -> bool:
        return self.error is not None


def deliver(routes: Sequence[Route], digest: Digest, *, stop: threading.Event | None = None) -> list[Delivery]:
    """Send ``digest`` to every route; returns one Delivery per route, in order.

    ``stop`` (set on Ctrl-C or SIGTERM) cuts waits between attempts short.
    """
    stop = stop or threading.Event()
    plans = [(route, route.selects(digest.items)) for route in routes]
    with ThreadPoolExecutor(max_workers=max(1, min(8, len(routes)))) as pool:
        futures = [pool.submit(_send, route, digest, items, stop) for route, items in plans]
        try:
            deliveries = [future.result() for future in futures]
        except BaseException:
            stop.set()  # Ctrl-C or SIGTERM: cut the other routes' waits short, then unwind
            raise
    failed = [d for d in deliveries if d.failed]
    healthy = [d.route for d in deliveries if not d.failed]
    if failed and healthy:
        problems = notifier_problems(failed)
        with ThreadPoolExecutor(max_workers=max(1, min(8, len(healthy)))) as pool:
            list(pool.map(lambda r: _send(r, problems, r.selects(problems.items), stop), healthy))
    return deliveries


def _send(route: Route, digest: Digest, items: Sequence[Item], stop: threading.Event) -> Delivery:
    if not items:
        return Delivery(route, 0)
    message = digest.message(items, route.compose)
    began = time.monotonic()
    deadline = began + route.retry.timeout
    wait = route.retry.backoff
    attempt = 0
    while True:
        attempt += 1
        remaining = deadline - time.monotonic()
        try:
            route.notifier.send(message, timeout=max(1.0, min(30.0, remaining)))
            return Delivery(route, len(items), None, attempt, time.monotonic() - began)
        except DeliveryError as exc:
            error = exc
        # Jitter keeps several rootwatch jobs that failed together from retrying in lockstep.
        pause = error.retry_after if error.retry_after is not None else wait * (0.8 + 0.4 * random.random())  # noqa: S311
        give_up = not error.retryable or attempt >= route.retry.attempts or time.monotonic() + pause >= deadline
        if give_up or stop.wait(pause):
            return Delivery(route, len(items), scrub(error.message), attempt, time.monotonic() - began)
        wait *= 2


def notifier_problems(failed: Sequence[Delivery]) -> Digest:
    """A digest telling the routes that worked which ones did not."""
    items = tuple(
        Item(
            level=Level.ERROR,
            kind="notifier_failed",
            line=f"notifier {d.route.label} failed: {d.error}",
            record={"kind": "notifier_failed", "notifier": d.route.name, "error": d.error},
            headline=f"notifier {d.route.name} failed",
        )
        for d in failed
    )
    from rootwatch.notify.render import compose_plain

    return Digest(items, compose_plain)


def report(deliveries: Sequence[Delivery], out: TextIO | None = None) -> None:
    """One line per route on stderr: what was sent, or which notifier failed and why."""
    out = out or sys.stderr
    for d in deliveries:
        if d.failed:
            tries = plural(d.attempts, "attempt")
            out.write(f"rootwatch: notifier {d.route.label} failed after {tries} in {d.seconds:.1f} s: {d.error}\n")
        elif d.items:
            out.write(f"rootwatch: notified {d.route.name}: {plural(d.items, 'item')}\n")
        else:
            out.write(f"rootwatch: nothing to notify {d.route.name} at level {d.route.level.name.lower()}\n")


def dry_run(routes: Sequence[Route], digest: Digest, out: TextIO | None = None) -> None:
    """Print, per route, the message that would be sent (secrets stay hidden)."""
    out = out or sys.stderr
    for route in routes:
        items = route.selects(digest.items)
        level = route.level.name.lower()
        if not items:
            out.write(f"rootwatch: dry run: nothing for {route.label} at level {level}\n")
            continue
        message: Message = digest.message(items, route.compose)
        out.write(f"rootwatch: dry run: would send to {route.label} at level {level}, {plural(len(items), 'item')}\n")
        out.write(f"  subject: {message.subject}\n")
        for line in message.text.rstrip("\n").splitlines():
            out.write(f"  | {line}\n")
        for attachment in message.attachments:
            out.write(f"  attachment: {attachment.filename} ({len(attachment.content)} bytes, {attachment.mime_type})\n")
