"""Entry point of the ``rootwatch`` command: parse, dispatch, translate errors to exit codes.

Exit codes (highest applicable wins): 0 nothing in alarm or error; 1 alarms and no errors; 2 any
control error (or a failed query); 3 usage, configuration, input or connection error; 4 internal
error (a bug: please report it with ROOTWATCH_DEBUG=1 output); 5 the run finished but a notifier
failed; 130 interrupted.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import signal
import sys
import threading
from collections.abc import Iterator, Sequence

COMMAND_MODULES = (
    "rootwatch.cli.benchmark",
    "rootwatch.cli.control",
    "rootwatch.cli.query",
    "rootwatch.cli.remediate",
    "rootwatch.cli.var",
    "rootwatch.cli.check",
    "rootwatch.cli.snapshot",
    "rootwatch.cli.diff",
    "rootwatch.cli.watch",
    "rootwatch.cli.events",
)


def build_parser(argv: Sequence[str] | None = None):  # noqa: ANN201 - argparse parser
    """The command line's parser. Given ``argv``, only the command it names is registered (each
    command's module, and what its help text needs, is imported only when used); without one, or
    when it names no command (``--help``, a typo), every command is."""
    from rootwatch import __version__
    from rootwatch.cli.parser import Parser
    from rootwatch.output import printable_formats

    parser = Parser(
        prog="rootwatch",
        description="Compliance controls for the AWS root user, graded on a live Steampipe endpoint "
        "or a DuckDB snapshot.",
        epilog="exit codes (the highest applicable wins): 0 clean, 1 alarms, 2 control errors, "
        "3 usage/config/input/connection error, 4 internal error (a bug), 5 the run finished but a "
        "notifier failed, 130 interrupted",
    )
    parser.add_argument("--version", action="version", version=f"rootwatch {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True, parser_class=Parser)
    formats = printable_formats()
    named = _command_module(argv)
    for module in (named,) if named else COMMAND_MODULES:
        importlib.import_module(module).register(commands, formats)
    return parser


def _command_module(argv: Sequence[str] | None) -> str | None:
    """The module of the command ``argv`` names (the top-level options take no value, so the
    command is the first word not starting with a dash), or None."""
    if argv is None:
        return None
    word = next((arg for arg in argv if not arg.startswith("-")), None)
    module = f"rootwatch.cli.{word}"
    return module if module in COMMAND_MODULES else None


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code.

    Without ``argv`` (the ``rootwatch`` program, which exits next), the objects the command leaves
    are not collected at exit (:func:`~rootwatch.gc_tuning.no_collections_at_exit`); a caller
    that passes ``argv`` and goes on has its garbage collected as usual.
    """
    from rootwatch.gc_tuning import fewer_collections, no_collections_at_exit

    if argv is None:
        # numpy comes in with DuckDB and pyarrow, and OpenBLAS then starts a thread per core that
        # spins on it: 0.07 CPU seconds of every command that opens a database, for no BLAS call
        # of rootwatch's. A value the user set stands.
        os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    with fewer_collections(), _masked_stderr(sys.argv[1:] if argv is None else argv):
        code = _main(argv)
        if argv is None:
            # Before the thresholds are restored: the next allocation would otherwise collect
            # the young objects the command left (~0.06 s after a capture).
            no_collections_at_exit()
    return code


def _main(argv: Sequence[str] | None) -> int:
    from rootwatch.errors import RootwatchError
    from rootwatch.exitcodes import ExitCode

    if argv is None:
        argv = sys.argv[1:]
    parser = build_parser(argv)
    args = parser.parse_args(argv)
    try:
        with _terminate_as_interrupt():
            return int(args.handler(args))
    except RootwatchError as exc:
        from rootwatch.output.style import printable_lines

        # Messages quote file names and data: control characters are shown, not sent to the terminal.
        sys.stderr.write(f"rootwatch: error: {printable_lines(str(exc))}\n")
        return int(exc.exit_code)
    except KeyboardInterrupt:
        sys.stderr.write("rootwatch: interrupted\n")
        return int(ExitCode.INTERRUPTED)
    except BrokenPipeError:
        # The reader went away (e.g. '| head'); nothing more to say.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except Exception as exc:  # noqa: BLE001 - the last line of defence against a traceback
        if _is_interrupt(exc):
            sys.stderr.write("rootwatch: interrupted\n")
            return int(ExitCode.INTERRUPTED)
        if type(exc).__name__ == "ConfigParseError":  # botocore: a malformed ~/.aws/config or credentials
            sys.stderr.write(f"rootwatch: error: {exc}\n  hint: fix the AWS config or credentials file\n")
            return int(ExitCode.USAGE)
        if os.environ.get("ROOTWATCH_DEBUG"):
            # Printed here, not re-raised: a re-raised traceback would be written by the interpreter
            # after the masking stderr is gone, and frames quote arguments (DSNs, tokens).
            import traceback

            traceback.print_exc()
            return int(ExitCode.INTERNAL)
        sys.stderr.write(
            f"rootwatch: internal error: {type(exc).__name__}: {exc}\n"
            "  this is a bug; rerun with ROOTWATCH_DEBUG=1 for the traceback and report it\n"
        )
        return int(ExitCode.INTERNAL)


@contextlib.contextmanager
def _masked_stderr(argv: Sequence[str]) -> Iterator[None]:
    """Every message on stderr, rootwatch's or a library's, goes through one masking function
    (:mod:`rootwatch.masking`): passwords, tokens and what the arguments hold that looks secret."""
    from rootwatch.engines.dsn import DATABASE_ENV
    from rootwatch.masking import masked_stderr

    previous = sys.stderr
    sys.stderr = masked_stderr([*argv, os.environ.get(DATABASE_ENV, "")])  # type: ignore[assignment]
    try:
        yield
    finally:
        sys.stderr = previous


@contextlib.contextmanager
def _terminate_as_interrupt() -> Iterator[None]:
    """SIGTERM (``kill``, a CI job's timeout) unwinds like Ctrl-C, so temporary files are removed
    and the exit code is 130, instead of the process dying where it stands."""
    if threading.current_thread() is not threading.main_thread():
        yield  # signal handlers can only be set from the main thread
        return

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _is_interrupt(exc: BaseException) -> bool:
    """A DuckDB query stopped by Ctrl-C surfaces as DuckDB's own exception, not KeyboardInterrupt."""
    return type(exc).__name__ == "InterruptException" or str(exc).strip() == "Query interrupted"


if __name__ == "__main__":
    raise SystemExit(main())
