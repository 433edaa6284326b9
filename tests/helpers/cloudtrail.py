"""CloudTrail log files as tests need them: bytes in the form CloudTrail writes to S3."""

from __future__ import annotations

import gzip
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any


def gzip_records(records: list[Mapping[str, Any]]) -> bytes:
    """A log file's bytes for ``records`` as CloudTrail writes them: one gzip-compressed JSON object
    with a ``Records`` array (mtime 0, so the same records give the same bytes)."""
    return gzip.compress(json.dumps({"Records": records}, separators=(",", ":")).encode("utf-8"), mtime=0)


def write_log_file(root: Path, account: str, region: str, day: str, name: str, body: bytes, *, org: str | None = None) -> Path:
    """Write ``body`` where CloudTrail delivers a log file of ``account`` in ``region`` on ``day``
    (YYYY-MM-DD): ``root/AWSLogs/[org/]ACCOUNT/CloudTrail/REGION/YYYY/MM/DD/ACCOUNT_CloudTrail_REGION_...name``."""
    folder = Path(root, "AWSLogs", *([org] if org else []), account, "CloudTrail", region, *day.split("-"))
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{account}_CloudTrail_{region}_{day.replace('-', '')}T0815Z_{name}"
    path.write_bytes(body)
    return path


def upload_folder(client: Any, bucket: str, folder: Path, prefix: str = "") -> int:
    """Put every file under ``folder`` into ``bucket`` at ``prefix`` + its path below ``folder`` (an
    ``aws s3 sync`` of a local trail); returns how many."""
    count = 0
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        client.put_object(Bucket=bucket, Key=prefix + path.relative_to(folder).as_posix(), Body=path.read_bytes())
        count += 1
    return count


SAMPLE_ORGANIZATION = "o-a1b2c3d4e5"


def write_sample_trail(root: Path) -> Path:
    """A trail of every shape a reader must handle, under ``root/AWSLogs``: a plain and an
    organisation trail's file (another partition), a pretty-printed uncompressed file spelling
    ``Root`` with an escape, a file of no root activity, one outside November 2026, and a text file
    in a day folder that is no log. Returns ``root``."""
    from helpers.cloudtrail_records import records

    write_log_file(root, "123456789012", "us-east-1", "2026-11-19", "a.json.gz", gzip_records(records("123456789012")))
    write_log_file(root, "210987654321", "us-gov-west-1", "2026-11-20", "b.json.gz", gzip_records(records("210987654321")),
                   org=SAMPLE_ORGANIZATION)
    escaped = json.dumps({"Records": records("345678901234")[4:6]}, indent=2).replace('"type": "Root"', '"type": "\\u0052oot"')
    write_log_file(root, "345678901234", "eu-west-1", "2026-11-21", "c.json", escaped.encode())
    write_log_file(root, "123456789012", "us-east-1", "2026-11-19", "notes.txt", b"Root was here, not JSON")
    write_log_file(root, "123456789012", "us-east-1", "2026-11-21", "d.json.gz", gzip_records(records()[6:]))
    write_log_file(root, "123456789012", "us-east-1", "2026-08-01", "e.json.gz", gzip_records(records()))
    return root


def moto_environment(monkeypatch: Any, url: str, scratch: Path, *, secret: str = "testing") -> None:
    """An AWS environment whose default credential chain reaches only moto at ``url``: fake keys
    (``secret`` as the secret key, for tests that check it is never printed), no profile or config
    file, no instance metadata, few retries."""
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ENDPOINT_URL", url)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", secret)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(scratch / "none"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(scratch / "none"))
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "2")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
