"""botocore's built-in event handlers for sessions whose clients serve a few known services.

Every botocore client starts with a copy of its session's event emitter: a tree of the event
names that botocore's built-in handlers listen to (127 registrations, 37 of them for S3 alone),
copied node by node. For the capture's shared clients that copy was the largest part of making
one (about 40 %), and a capture makes about 195. Most of the tree can never act on their events:
a handler registered for ``before-call.s3`` or ``choose-signer.cognito-identity`` runs only for
clients of those services.

:func:`register_builtin_handlers` registers, with botocore's public ``register`` methods and in
botocore's order, every built-in handler except those whose event name names another service (a
part of the name that is a service's name or event alias, and none of ``services``'). What a
client of one of ``services`` emits therefore finds the same handlers in the same order as in a
default session; a name that is no known service (a wildcard, an event type) keeps its handler.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from typing import Any


def register_builtin_handlers(session: Any, services: Collection[str], loader: Any) -> None:
    """Register on ``session`` (made with ``include_builtin_handlers=False``) botocore's built-in
    handlers, leaving out those that only another service's clients can trigger."""
    from botocore import handlers

    others = other_service_names(services, loader)
    events = session.get_component("event_emitter")
    for spec in handlers.BUILTIN_HANDLERS:
        event_name, handler = spec[0], spec[1]
        if others.intersection(event_name.split(".")):
            continue
        # As botocore.session.Session._register_builtin_handlers does.
        if len(spec) == 2:
            events.register(event_name, handler)
        elif spec[2] is handlers.REGISTER_FIRST:
            events.register_first(event_name, handler)
        elif spec[2] is handlers.REGISTER_LAST:
            events.register_last(event_name, handler)


def other_service_names(services: Collection[str], loader: Any) -> set[str]:
    """The names by which events can name a service other than ``services``: every service the
    loader knows and every event alias (both sides of botocore's table), less those of ``services``
    (their names, and every alias linked to them)."""
    from botocore.hooks import EVENT_ALIASES

    ours = set(services)
    changed = True
    while changed:  # aliases of aliases: "events" -> "eventbridge" <- "cloudwatch-events"
        before = len(ours)
        for old, new in EVENT_ALIASES.items():
            if old in ours or new in ours:
                ours.update((old, new))
        changed = len(ours) != before
    every = set(loader.list_available_services("service-2"))
    every.update(_parts(EVENT_ALIASES))
    return every - ours - {part for name in ours for part in name.split(".")}


def _parts(aliases: dict[str, str]) -> Iterator[str]:
    for old, new in aliases.items():
        yield old
        yield new
