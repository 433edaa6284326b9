"""Reading root activity as it arrives: EventBridge events, bare CloudTrail records, log files.

Every input becomes a list of :class:`Event` (one CloudTrail record each, already turned into its
``aws_cloudtrail_trail_event`` row, so that a record the snapshot builder would reject is rejected
here, at the door) or an :class:`Unreadable` that says where and why, and keeps the text as it came
for the dead-letter path. Shapes accepted, per JSON document:

* an EventBridge event (``detail-type`` and ``detail``): the record is ``detail``; the account and
  region are the envelope's (the account where it happened, kept across forwarding);
* a bare CloudTrail record (``eventTime`` and ``userIdentity``): account from
  ``recipientAccountId`` (else ``userIdentity.accountId``), region from ``awsRegion``;
* a CloudTrail log file (``{"Records": [...]}``), each record as above;
* any of these wrapped in an SNS notification (``"Type": "Notification"``), as a queue subscribed to
  a topic receives them.

Streams and files may hold JSON lines or pretty-printed documents back to back; gzip files are
decompressed. A folder is read as CloudTrail's S3 layout (``AWSLogs/...``, as ``snapshot
from-files`` reads it) when it has one, else every ``.json``, ``.jsonl`` and ``.gz`` file in it.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rootwatch.snapshot.transforms.common import Origin, Row, TransformError, partition_of_region
from rootwatch.snapshot.transforms.events import trail_event_row

MAX_DOCUMENT = 1024 * 1024
"""A document still incomplete past this many characters is declared unreadable (a stream that
never closes its brace must not grow without bound). EventBridge events are at most 256 KB."""
EVENT_FILE_SUFFIXES = (".json", ".jsonl", ".ndjson", ".json.gz", ".jsonl.gz", ".ndjson.gz", ".gz")


@dataclass(frozen=True)
class Event:
    """One CloudTrail record and where it came from."""

    record: Mapping[str, Any]
    row: Row
    """Its ``aws_cloudtrail_trail_event`` row (the snapshot builder's transform)."""
    where: str
    """``stdin line 3``, ``events.jsonl:4``, ``SQS message 5f1c...``: for messages and errors."""
    origin: str = ""
    """What carried it (a file, an SQS message id): the unit the caller deletes or keeps."""

    @property
    def account_id(self) -> str:
        return str(self.row["account_id"])

    @property
    def event_id(self) -> str:
        return str(self.row["event_id"])


@dataclass(frozen=True)
class Unreadable:
    """Input that is not root activity rootwatch can read: kept whole for the dead-letter path."""

    where: str
    reason: str
    text: str
    origin: str = ""


@dataclass
class Parsed:
    """What one document (or one SQS message body) held."""

    events: list[Event] = field(default_factory=list)
    unreadable: list[Unreadable] = field(default_factory=list)


def parse_text(text: str, where: str, origin: str = "") -> Parsed:
    """One document's text (an SQS message body, a line of a stream)."""
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        return Parsed(unreadable=[Unreadable(where, f"not JSON ({exc.msg} at line {exc.lineno}, column {exc.colno})", text, origin)])
    return parse_document(document, text, where, origin)


def parse_document(document: Any, text: str, where: str, origin: str = "") -> Parsed:
    """The events of one parsed JSON document (see the module's shapes)."""
    parsed = Parsed()
    try:
        for index, (record, account, region) in enumerate(_records(document)):
            place = where if index == 0 and not _is_log_file(document) else f"{where} Records[{index}]"
            parsed.events.append(Event(record, _row(record, account, region), place, origin))
    except TransformError as exc:
        return Parsed(unreadable=[Unreadable(where, str(exc), text, origin)])
    return parsed


def _is_log_file(document: Any) -> bool:
    return isinstance(document, Mapping) and isinstance(document.get("Records"), list)


def _records(document: Any) -> Iterator[tuple[Mapping[str, Any], Any, Any]]:
    """(record, account, region) for every record of ``document``; TransformError when it is none
    of the shapes rootwatch reads."""
    if not isinstance(document, Mapping):
        raise TransformError(f"expected a JSON object, got {type(document).__name__}")
    if document.get("Type") == "Notification" and isinstance(document.get("Message"), str):
        try:
            inner = json.loads(document["Message"])
        except json.JSONDecodeError:
            raise TransformError("an SNS notification whose Message is not JSON") from None
        yield from _records(inner)
        return
    if "detail-type" in document and "detail" in document:
        detail = document["detail"]
        if not isinstance(detail, Mapping):
            raise TransformError("an EventBridge event whose detail is not an object")
        yield detail, document.get("account"), document.get("region") or detail.get("awsRegion")
        return
    if _is_log_file(document):
        for index, record in enumerate(document["Records"]):
            if not isinstance(record, Mapping):
                raise TransformError(f"Records[{index}] is not an object")
            yield record, _record_account(record), record.get("awsRegion")
        return
    if "eventTime" in document and "userIdentity" in document:
        yield document, _record_account(document), document.get("awsRegion")
        return
    raise TransformError(
        "not root activity rootwatch reads: expected an EventBridge event (detail-type, detail), a "
        'CloudTrail record (eventTime, userIdentity) or a CloudTrail log file ({"Records": [...]})'
    )


def _record_account(record: Mapping[str, Any]) -> Any:
    identity = record.get("userIdentity")
    fallback = identity.get("accountId") if isinstance(identity, Mapping) else None
    return record.get("recipientAccountId") or fallback


def _row(record: Mapping[str, Any], account: Any, region: Any, *, log_stream: str | None = None) -> Row:
    """The table row of one record; TransformError for what the query could not read."""
    if not isinstance(account, str):
        raise TransformError("no account id (envelope 'account', recipientAccountId or userIdentity.accountId)")
    if not isinstance(region, str) or not region:
        raise TransformError("no region (envelope 'region' or awsRegion)")
    if not isinstance(record.get("eventID"), str) or not record["eventID"]:
        raise TransformError("CloudTrail record without eventID")
    origin = Origin(account, partition_of_region(region), f"aws_{account}")
    return trail_event_row(record, origin=origin, region=region, log_stream_name=log_stream)


# ---- streams and files -------------------------------------------------------------------------


def documents(lines: Iterable[str], name: str, origin: str = "") -> Iterator[Parsed]:
    """The documents of a stream of lines, each parsed as soon as it is complete.

    JSON lines, pretty-printed documents and a mix of both are read; ``name`` labels places
    (``stdin line 3``, ``events.jsonl:3``).
    """
    buffer: list[str] = []
    size = 0
    first = 0
    label = (lambda n: f"{name} line {n}") if name == "stdin" else (lambda n: f"{name}:{n}")
    for number, line in enumerate(lines, start=1):
        if not buffer and not line.strip():
            continue
        if not buffer:
            first = number
        buffer.append(line)
        size += len(line)
        text = "".join(buffer)
        try:
            document = json.loads(text)
        except json.JSONDecodeError as exc:
            # A document continues on the next line only where JSON expects more at the very end
            # (a value, a key, a comma); an unterminated string cannot span lines, so it is broken.
            incomplete = exc.msg.startswith("Expecting") and exc.pos >= len(text.rstrip()) and size < MAX_DOCUMENT
            if incomplete:
                continue
            reason = f"not JSON ({exc.msg})" if size < MAX_DOCUMENT else f"a document longer than {MAX_DOCUMENT} characters"
            yield Parsed(unreadable=[Unreadable(label(first), reason, text, origin)])
            buffer, size = [], 0
            continue
        yield parse_document(document, text, label(first), origin)
        buffer, size = [], 0
    if buffer:
        text = "".join(buffer)
        yield Parsed(unreadable=[Unreadable(label(first), "the input ended inside a JSON document", text, origin)])


def read_file(path: Path) -> Iterator[Parsed]:
    """The documents of one file (gzip or not); a file that cannot be read is one Unreadable."""
    try:
        data = path.read_bytes()
        if path.name.endswith(".gz"):
            data = zlib.decompress(data, wbits=31)
        text = data.decode("utf-8")
    except (OSError, zlib.error, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else f"cannot be read ({exc})"
        yield Parsed(unreadable=[Unreadable(str(path), str(reason), "", str(path))])
        return
    yield from documents(text.splitlines(keepends=True), str(path), str(path))


def read_log_folder(awslogs: Path) -> Iterator[Parsed]:
    """CloudTrail log files in the S3 layout, as ``snapshot from-files`` reads them: the account and
    region of each record come from its object key, and only root activity is kept (the snapshot
    builder's selection; the query decides what alerts)."""
    from rootwatch.snapshot.cloudtrail_logs import BadLogFile, EventSelection, find_log_files, read_log_records

    files, problems = find_log_files(awslogs)
    for problem in problems:
        yield Parsed(unreadable=[Unreadable(str(problem.path), problem.message, "", str(problem.path))])
    for log_file in files:
        parsed = Parsed()
        try:
            records = read_log_records(log_file.path)
        except BadLogFile as exc:
            where = f"{exc.problem.path}:{exc.problem.line}" if exc.problem.line else str(exc.problem.path)
            yield Parsed(unreadable=[Unreadable(where, exc.problem.message, "", str(log_file.path))])
            continue
        for index, record in enumerate(records):
            if not EventSelection.ROOT.keeps(record):
                continue
            where = f"{log_file.path} Records[{index}]"
            try:
                row = _row(record, log_file.account_id, log_file.region, log_stream=log_file.key)
            except TransformError as exc:
                parsed.unreadable.append(Unreadable(where, str(exc), json.dumps(record), str(log_file.path)))
                continue
            parsed.events.append(Event(record, row, where, str(log_file.path)))
        yield parsed


def read_path(path: Path) -> Iterator[Parsed]:
    """A file, or a folder (its ``AWSLogs`` layout, else its event files, in name order)."""
    if not path.is_dir():
        yield from read_file(path)
        return
    awslogs = path if path.name == "AWSLogs" else path / "AWSLogs"
    if awslogs.is_dir():
        yield from read_log_folder(awslogs)
        return
    for child in sorted(p for p in path.rglob("*") if p.is_file() and p.name.endswith(EVENT_FILE_SUFFIXES)):
        yield from read_file(child)

