"""``ROOTWATCH_DEBUG=1`` shows the traceback of an internal error, and masks secrets in it as in
every other message: a traceback quotes the exception's text, which may hold a DSN's password."""

from __future__ import annotations

import argparse

import pytest

from rootwatch.cli import main as cli
from rootwatch.exitcodes import ExitCode

DSN = "postgresql://auditor:Tr0ub4dor-and-3@db.internal:5432/steampipe"


def _failing_parser(argv: object) -> argparse.ArgumentParser:
    def handler(args: argparse.Namespace) -> int:
        raise RuntimeError(f"could not reach {DSN}")

    parser = argparse.ArgumentParser()
    parser.add_argument("--database")
    parser.set_defaults(handler=handler)
    return parser


@pytest.mark.parametrize("debug", [False, True])
def test_internal_error_masks_the_password(debug: bool, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(cli, "build_parser", _failing_parser)
    if debug:
        monkeypatch.setenv("ROOTWATCH_DEBUG", "1")
    else:
        monkeypatch.delenv("ROOTWATCH_DEBUG", raising=False)
    code = cli.main(["--database", DSN])
    err = capsys.readouterr().err
    assert code == ExitCode.INTERNAL
    assert "Tr0ub4dor-and-3" not in err, err
    assert "db.internal" in err  # the message still says where it failed
    assert ("Traceback (most recent call last)" in err) is debug, err
