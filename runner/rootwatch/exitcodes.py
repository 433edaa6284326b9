"""Named exit codes of the ``rootwatch`` command and the order in which they win.

The codes follow Powerpipe's 0/1/2 so that CI pipelines written for it keep working, and add 3 for
everything that stops a run before a verdict exists (bad usage, bad configuration, no connection).
When several apply, the highest wins: a run that has both alarms and a control error exits 2, and
a run whose notifier failed exits 5 whatever it found (its results were written all the same).
3 and 4 stop a command before any notifier is tried, so they never meet 5.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum


class ExitCode(IntEnum):
    """Process exit codes, ordered by priority (a higher value wins)."""

    OK = 0
    """Nothing in alarm or error."""
    ALARM = 1
    """At least one alarm and no control errors."""
    CONTROL_ERROR = 2
    """At least one control (or result row) in error."""
    USAGE = 3
    """Usage, configuration, input or connection error; nothing was graded."""
    INTERNAL = 4
    """A bug in rootwatch: rerun with ROOTWATCH_DEBUG=1 for the traceback and report it."""
    NOTIFY_FAILED = 5
    """The run finished and its exports were written, but a notifier could not deliver (named on
    stderr). Wins over 0, 1 and 2: an alarm nobody was told about is the bigger problem."""
    INTERRUPTED = 130
    """Ctrl-C or SIGTERM; temporary files were removed (the shell's 128 + SIGINT)."""


@dataclass(frozen=True)
class Meaning:
    """What an exit code means for each kind of command (README's exit-code table is made from it)."""

    run: str
    """``benchmark run``, ``control run``, ``query run``."""
    diff: str
    snapshot: str
    remediate: str


SAME = "same"
"""A command whose meaning is the one ``run`` gives."""

MEANINGS: dict[ExitCode, Meaning] = {
    ExitCode.OK: Meaning(
        "nothing in alarm or error",
        "nothing fails `--fail-on`",
        "written, nothing recorded as failed",
        "nothing fails on a fresh read; with `--apply`, every finding fixed",
    ),
    ExitCode.ALARM: Meaning(
        "alarms, no errors",
        "something fails `--fail-on`",
        "",
        "calls planned; with `--apply`, every call made but a finding still fails or awaits confirmation",
    ),
    ExitCode.CONTROL_ERROR: Meaning(
        "a control could not run (or returned a malformed result): it is graded `error`, the others still run",
        "",
        "written, but an account, region, call or table failed and is recorded in it",
        "a finding cannot be planned or a control could not run; with `--apply`, also a failed call or an unverified result",
    ),
    ExitCode.USAGE: Meaning(
        "usage, configuration, input or connection error: a message names the option, file or line; nothing is written",
        SAME,
        SAME,
        "same; nothing changed (also `--apply` without a terminal and without `--yes`)",
    ),
    ExitCode.INTERNAL: Meaning("internal error (a bug: please report it)", SAME, SAME, SAME),
    ExitCode.NOTIFY_FAILED: Meaning(
        "the run finished and its exports were written, but a notifier could not deliver (named on stderr)",
        "",
        "",
        "",
    ),
    ExitCode.INTERRUPTED: Meaning(
        "interrupted (Ctrl-C or SIGTERM); no partial output files",
        SAME,
        SAME,
        "interrupted: the calls made until then are reported and logged",
    ),
}
