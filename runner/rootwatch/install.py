"""How to add an optional part (an "extra") to rootwatch, worded for the way it was installed.

A hint that says ``pip install 'rootwatch[xlsx]'`` to someone who ran ``./dev demo`` in a checkout
sends them to a package index that may not have rootwatch at all; each kind of installation gets
the command that works for it.
"""

from __future__ import annotations

import sys
from pathlib import Path


def checkout_root() -> Path | None:
    """The source checkout rootwatch runs from (an editable install), or None."""
    root = Path(__file__).resolve().parents[2]
    return root if (root / "pyproject.toml").is_file() and (root / "dev").is_file() else None


def extra_hint(extra: str, package: str) -> str:
    """The command that installs ``package`` (rootwatch's ``extra``) into this installation."""
    root = checkout_root()
    prefix = sys.prefix.replace("\\", "/")
    if root is not None:
        return (
            f"in the checkout {root}, './dev demo' installs every extra; or run "
            f"{sys.executable} -m pip install -e '{root}[{extra}]'"
        )
    if "/pipx/venvs/" in prefix:
        return f"pipx inject rootwatch {package}"
    if "/uv/tools/" in prefix:
        return f"uv tool install --force --with {package} rootwatch (or reinstall with the extra: 'rootwatch[{extra}]')"
    return f"{sys.executable} -m pip install {package} (the '{extra}' extra of rootwatch)"
