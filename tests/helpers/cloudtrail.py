"""CloudTrail log files as tests need them: bytes in the form CloudTrail writes to S3."""

from __future__ import annotations

import gzip
import json
from collections.abc import Mapping
from typing import Any


def gzip_records(records: list[Mapping[str, Any]]) -> bytes:
    """A log file's bytes for ``records`` as CloudTrail writes them: one gzip-compressed JSON object
    with a ``Records`` array (mtime 0, so the same records give the same bytes)."""
    return gzip.compress(json.dumps({"Records": records}, separators=(",", ":")).encode("utf-8"), mtime=0)
