"""The per-user cache directory: ``$ROOTWATCH_CACHE_DIR``, else ``$XDG_CACHE_HOME/rootwatch``, else
``~/.cache/rootwatch``.

Everything kept there can be rebuilt: schema-validated documents (:mod:`rootwatch.yamlschema`),
compiled SQL (:mod:`rootwatch.sql.compile_cache`) and the AWS service models a capture reads
(:mod:`rootwatch.snapshot.from_aws_models`). Deleting the directory only costs time.
"""

from __future__ import annotations

import os
from pathlib import Path


def cache_directory() -> Path:
    """The directory (not created here: writers create what they need and tolerate failing to)."""
    directory = os.environ.get("ROOTWATCH_CACHE_DIR")
    if not directory:
        base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
        directory = os.path.join(base, "rootwatch")
    return Path(directory)
