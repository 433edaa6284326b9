"""docs/remediate.md stays true: every action's permissions are listed, every control with an
action is described, and the command's help names them."""

from __future__ import annotations

from pathlib import Path

from rootwatch.remediate.actions import ACTIONS

DOC = (Path(__file__).resolve().parents[2] / "docs" / "remediate.md").read_text()


def test_every_action_is_documented_with_its_permissions() -> None:
    for action in ACTIONS:
        assert f"`{action.control}`" in DOC, action.control
        missing = [p for p in action.permissions if f"`{p}`" not in DOC]
        assert not missing, f"{action.control}: {missing} not in docs/remediate.md"


def test_help_lists_the_actions(capsys) -> None:
    import pytest
    from rootwatch.cli.main import main

    with pytest.raises(SystemExit):
        main(["remediate", "--help"])
    out = " ".join(capsys.readouterr().out.split())
    for action in ACTIONS:
        assert action.control in out
    assert "exit codes:" in out
