"""Helpers the tests share, imported as ``helpers.<module>`` (tests/ is on sys.path through its
conftest.py): small mods written into a test's own directory (:mod:`helpers.mods`) and snapshots
built or read there (:mod:`helpers.snapshots`)."""

import textwrap


def dedent(text: str) -> str:
    """``text`` dedented, without its leading newline: expected output written as a block."""
    return textwrap.dedent(text).lstrip("\n")
