"""The root-usage alerting chain of each account, as the auditor asks to see it: trail → log group
→ metric filter → alarm → SNS topic → confirmed subscription, the first missing link marked.

Derived from the ``root_usage_monitored`` control's reason, whose Security-Hub-style code prefix
(``CLOUDWATCH_ALARMS_NOT_PRESENT: ...``) names the first missing link and stays stable whatever the
rest of the reason says. An ``ok`` row has the whole chain; ``info`` (an organization trail owned
by an account outside the snapshot) and ``error`` (cannot decide) leave the links undecided; a
``skip`` draws nothing. Drawn as a small inline SVG (:func:`chain_svg`), the same in the HTML report
and the CIS HTML table.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from enum import Enum

from rootwatch.accounts import display_account
from rootwatch.output.html_assets import esc
from rootwatch.results import ControlRun, ResultRow, RunResult
from rootwatch.status import Status

CHAIN_CONTROL = "root_usage_monitored"
LINKS = ("trail", "log group", "metric filter", "alarm", "SNS topic", "confirmed subscription")
"""The links of the chain, in order."""

# Code → index of the first missing link (docs of root_usage_monitored list the codes).
FIRST_MISSING = {
    "CLOUDTRAIL_MULTI_REGION_NOT_PRESENT": 0,
    "CLOUDTRAIL_METRIC_FILTERS_NOT_PRESENT": 2,
    "CLOUDTRAIL_METRIC_FILTER_NOT_VALID": 2,
    "CLOUDWATCH_ALARMS_NOT_PRESENT": 3,
    "CLOUDWATCH_ALARM_ACTIONS_NOT_VALID": 4,
    "SNS_TOPIC_INVALID": 4,
    "SNS_SUBSCRIPTION_NOT_PRESENT": 5,
}
_CODE = re.compile(r"^([A-Z][A-Z0-9_]+):")


class Link(str, Enum):
    """The state of one link of the chain."""

    PRESENT = "present"
    MISSING = "missing"
    """The first missing link."""
    BEYOND = "beyond"
    """After the first missing link: nothing downstream can alert."""
    UNKNOWN = "unknown"

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True)
class Chain:
    """One account's chain as its row grades it."""

    account: str
    """The account as people read it: id and name."""
    status: Status
    links: tuple[Link, ...]
    code: str | None
    reason: str

    @property
    def missing(self) -> str | None:
        """The name of the first missing link, or None."""
        return next((name for name, link in zip(LINKS, self.links) if link is Link.MISSING), None)


def chain_of(row: ResultRow, names: Mapping[str, str]) -> Chain | None:
    """The chain a ``root_usage_monitored`` row describes; None for a ``skip`` (not assessed)."""
    if row.status is Status.SKIP:
        return None
    account = display_account(row.dimension("account_id") or row.resource, names)
    found = _CODE.match(row.reason)
    code = found.group(1) if found else None
    if row.status is Status.OK:
        links = (Link.PRESENT,) * len(LINKS)
    elif code in FIRST_MISSING:
        first = FIRST_MISSING[code]
        links = tuple(Link.PRESENT if i < first else Link.MISSING if i == first else Link.BEYOND for i in range(len(LINKS)))
    else:
        links = (Link.UNKNOWN,) * len(LINKS)
    return Chain(account, row.status, links, code, row.reason)


def chains(runs: Iterator[ControlRun] | list[ControlRun], names: Mapping[str, str]) -> list[Chain]:
    """The chains of runs of the chain control, one per account (a control placed in two
    benchmarks ran once), accounts missing a link first."""
    found: dict[str, Chain] = {}
    for run in runs:
        for row in run.rows:
            chain = chain_of(row, names)
            if chain is not None:
                found.setdefault(chain.account, chain)
    return sorted(found.values(), key=lambda c: (c.status is Status.OK, c.account))


def chain_runs(result: RunResult) -> list[ControlRun]:
    """Every run of the chain control in ``result``."""
    return [run for _, run in result.control_runs() if is_chain_run(run)]


def is_chain_run(run: ControlRun) -> bool:
    return run.node.control is not None and run.node.control.id == CHAIN_CONTROL


COLOURS = {Link.PRESENT: "#2e7d32", Link.MISSING: "#c62828", Link.BEYOND: "#bdbdbd", Link.UNKNOWN: "#8d8d8d"}
_LABELS = (("trail", ""), ("log", "group"), ("metric", "filter"), ("alarm", ""), ("SNS", "topic"), ("confirmed", "subscription"))
STEP = 70
RADIUS = 13
WIDTH = STEP * len(LINKS)
HEIGHT = 74


def chain_svg(chain: Chain) -> str:
    """One account's chain: six circles joined by arrows, a tick in each present link, a cross in
    the first missing one, the rest dashed grey; every shape has a ``<title>`` for the pointer."""
    parts = [
        f'<svg class="alert-chain" xmlns="http://www.w3.org/2000/svg" role="img" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'width="{WIDTH}" height="{HEIGHT}" data-missing="{esc(chain.missing or "")}" '
        f'aria-label="{esc(_summary(chain))}" font-family="system-ui, sans-serif">',
        f"<title>{esc(_summary(chain))}</title>",
    ]
    for index, (link, (first, second)) in enumerate(zip(chain.links, _LABELS)):
        x = STEP // 2 + index * STEP
        colour = COLOURS[link]
        if index:
            dashed = ' stroke-dasharray="3 3"' if link in (Link.BEYOND, Link.UNKNOWN) else ""
            parts.append(
                f'<line x1="{x - STEP + RADIUS + 2}" y1="20" x2="{x - RADIUS - 4}" y2="20" stroke="{colour}" stroke-width="2"{dashed}/>'
                f'<path d="M{x - RADIUS - 8},16 L{x - RADIUS - 2},20 L{x - RADIUS - 8},24 Z" fill="{colour}"/>'
            )
        fill = colour if link in (Link.PRESENT, Link.MISSING) else "#ffffff"
        stroke_dash = ' stroke-dasharray="3 2"' if link in (Link.BEYOND, Link.UNKNOWN) else ""
        parts.append(
            f'<g class="link link-{link.value}" data-link="{esc(LINKS[index])}" data-state="{link.value}">'
            f"<title>{esc(LINKS[index])}: {link.value}</title>"
            f'<circle cx="{x}" cy="20" r="{RADIUS}" fill="{fill}" stroke="{colour}" stroke-width="2"{stroke_dash}/>'
            + _glyph(link, x)
            + f'<text x="{x}" y="48" font-size="11" text-anchor="middle" fill="#1d1d1f">{esc(first)}</text>'
            + (f'<text x="{x}" y="61" font-size="11" text-anchor="middle" fill="#1d1d1f">{esc(second)}</text>' if second else "")
            + "</g>"
        )
    parts.append("</svg>")
    return "".join(parts)


def _glyph(link: Link, x: int) -> str:
    if link is Link.PRESENT:
        return f'<path d="M{x - 6},20 L{x - 2},25 L{x + 7},14" fill="none" stroke="#ffffff" stroke-width="3"/>'
    if link is Link.MISSING:
        return (
            f'<path d="M{x - 6},14 L{x + 6},26 M{x + 6},14 L{x - 6},26" fill="none" stroke="#ffffff" stroke-width="3"/>'
        )
    if link is Link.UNKNOWN:
        return f'<text x="{x}" y="24.5" font-size="13" font-weight="700" text-anchor="middle" fill="#5f6368">?</text>'
    return ""


def _summary(chain: Chain) -> str:
    if chain.missing:
        return f"{chain.account}: root-usage alerting chain broken at the {chain.missing}"
    if chain.status is Status.OK:
        return f"{chain.account}: root-usage alerting chain complete"
    return f"{chain.account}: root-usage alerting chain not decided ({chain.status.value})"


def caption(chain: Chain) -> str:
    """One line under a chain: what is missing, with the code, or why nothing is marked."""
    if chain.missing:
        return f"first missing link: {chain.missing} ({chain.code})"
    if chain.status is Status.OK:
        return "complete: root use pages a confirmed subscriber"
    return f"not decided ({chain.status.value}): see the reason"


def chain_figure(chain: Chain) -> str:
    """The SVG with the account above it and the caption below, as one HTML block."""
    return (
        f'<figure class="chain chain-{chain.status.value}">'
        f'<figcaption><strong>{esc(chain.account)}</strong> <span class="muted">{esc(caption(chain))}</span></figcaption>'
        f"{chain_svg(chain)}</figure>"
    )


CHAIN_CSS = """
.chains { display: flex; flex-wrap: wrap; gap: 12px 28px; }
figure.chain { margin: 0; }
figure.chain figcaption { font-size: 13px; overflow-wrap: anywhere; }
svg.alert-chain { display: block; max-width: 100%; height: auto; }
"""
