"""'Did you mean' suggestions for unknown names."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


def did_you_mean(name: str, known: Iterable[str]) -> str | None:
    """The closest known name to ``name``, or None when nothing is reasonably close."""
    candidates = list(known)
    matches = difflib.get_close_matches(name, candidates, n=1, cutoff=0.6)
    if matches:
        return matches[0]
    # A prefix or a fragment ("v400" for "cis_v400") is a common way to half-remember an id.
    fragment = [c for c in candidates if name.lower() in c.lower()]
    return sorted(fragment, key=len)[0] if fragment else None
