"""Splitting a CloudTrail log file into its records, streaming, without parsing them.

A log file is one JSON object, ``{"Records": [...]}``, up to hundreds of megabytes on one line.
:func:`record_parts` decompresses it a window at a time and cuts the ``Records`` array into the
raw JSON text of each record, so memory holds one window (plus the longest record), never the
file. msgspec checks the syntax of every byte it cuts (a record it cannot cut is invalid JSON,
located by line and column); nothing is turned into Python objects. A record must be a JSON
object; anything else is a bad file naming the record's index.

Only files of the shape CloudTrail writes (the ``Records`` key alone, spelt plainly) take this
path. Anything else (another key beside ``Records``, a duplicated ``Records``, documents back to
back) is read whole by the strict reader (:mod:`rootwatch.snapshot.strict_json`), which rejects a
duplicated key instead of keeping the last value, so no evidence is silently lost.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import msgspec

from rootwatch.errors import Problem
from rootwatch.snapshot import strict_json

try:  # ISA-L decompresses gzip two to three times as fast as zlib, with the same API
    from isal import isal_zlib as _zlib
except ImportError:  # pragma: no cover - isal is a dependency; zlib gives the same bytes
    import zlib as _zlib

WINDOW = 8 * 1024 * 1024
"""Decompressed bytes cut into records at a time."""
READ_SIZE = 1024 * 1024
"""Compressed bytes read at a time."""
STRICT_WHOLE_FILE_LIMIT = 256 * 1024 * 1024
"""A file of another shape, or with a syntax error to locate, is read whole by the strict reader
up to this size (decompressed); a larger one is reported from the streaming cut alone."""
_CUT_TRIES = 4
_HEAD = re.compile(rb'[ \t\r\n]*\{[ \t\r\n]*"Records"[ \t\r\n]*:[ \t\r\n]*(?=\[)')
_BLANKS = b" \t\r\n"
_BYTE = re.compile(r"\(byte (\d+)\)")
_RECORDS = msgspec.json.Decoder(list[msgspec.Raw])


class BadLogFile(Exception):
    """A log file that cannot be read; ``problem`` locates it."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(str(problem))
        self.problem = problem


def decompressed(path: Path) -> Iterator[bytes]:
    """The file's bytes, decompressed when it is gzip, at most :data:`WINDOW` at a time.

    A gzip bomb cannot fill memory (output is bounded per step); a file that stops before its
    gzip trailer, or is not gzip at all, is a BadLogFile.
    """
    try:
        with open(path, "rb") as handle:
            if not path.name.endswith(".gz"):
                while chunk := handle.read(WINDOW):
                    yield chunk
                return
            yield from _gunzip(path, handle)
    except OSError as exc:
        raise BadLogFile(Problem(path, None, f"cannot read: {exc.strerror or exc}")) from None


def _gunzip(path: Path, handle: Any) -> Iterator[bytes]:
    inflater = _zlib.decompressobj(wbits=31)  # 31: gzip header and trailer required
    pending = b""
    started = False
    try:
        while True:
            if not pending:
                pending = handle.read(READ_SIZE)
                if not pending:
                    break
            started = True
            out = inflater.decompress(pending, WINDOW)
            pending = inflater.unconsumed_tail
            if out:
                yield out
            if inflater.eof:
                # Concatenated gzip members are one file to gzip (and zcat): read them all.
                pending = inflater.unused_data + pending
                if not pending:
                    pending = handle.read(READ_SIZE)
                if not pending:
                    return
                inflater = _zlib.decompressobj(wbits=31)
    except _zlib.error as exc:
        raise BadLogFile(Problem(path, None, f"not a complete gzip file ({exc}); re-download it")) from None
    if not started or not inflater.eof:
        raise BadLogFile(Problem(path, None, "not a complete gzip file (incomplete or truncated stream); re-download it"))


class Part:
    """Consecutive records of one file: their raw JSON texts, and whether any of them holds a
    ``\\u`` escape (which could spell a word that a byte search would miss)."""

    __slots__ = ("records", "escaped")

    def __init__(self, records: list[bytes], escaped: bool) -> None:
        self.records = records
        self.escaped = escaped


def record_parts(path: Path) -> Iterator[Part]:
    """The raw JSON text of every record of the log file ``path``, a window's worth at a time.

    Raises BadLogFile (naming the line, or the record's index) for a file that is empty, not
    gzip, not UTF-8, not JSON, not ``{"Records": [...]}`` or holds a record that is not an object.
    """
    index = 0
    for part in _RawParts(path).parts():
        for offset, record in enumerate(part.records):
            if record[:1] != b"{":
                raise BadLogFile(Problem(path, None, f"Records[{index + offset}] is not an object"))
        index += len(part.records)
        yield part


class _RawParts:
    """The cutting of one file; ``consumed`` and ``line`` locate the start of ``buffer``.

    ``buffer`` always starts with a ``[``: the array's own, or, after a cut, one standing in for
    the comma that followed the last record cut, so each window parses as an array with a single
    copy of the bytes.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.chunks = decompressed(path)
        self.buffer = b""
        self.consumed = 0
        self.line = 1
        self.yielded = 0
        self.at_end = False

    def _read(self) -> bool:
        chunk = next(self.chunks, None)
        if chunk is None:
            self.at_end = True
            return False
        self.buffer += chunk
        return True

    def _advance(self, end: int, opening: bytes = b"") -> None:
        self.line += self.buffer.count(b"\n", 0, end)
        self.consumed += end
        self.buffer = opening + self.buffer[end + len(opening):]

    def parts(self) -> Iterator[Part]:
        while len(self.buffer) < 64 and self._read():
            pass
        head = _HEAD.match(self.buffer)
        if head is None:
            yield from self._whole_file()
            return
        self._advance(head.end())
        while True:
            while not self.at_end and len(self.buffer) < WINDOW:
                self._read()
            if self.at_end:
                yield from self._last_part()
                return
            cut = self._cut()
            if cut is None:
                self._read()  # no record ends in this window (one longer than it): read more
                continue
            yield cut

    def _cut(self) -> Part | None:
        """The complete records at the start of the buffer, or None.

        A cut is tried after a ``}`` followed by a comma, from the window's end back. Parsing
        ``[<up to the cut>]`` succeeds only where the cut falls between two records of the
        array (JSON is read left to right, so the values before it are the array's first
        elements); a cut inside a string or a nested object fails at the cut itself. A failure
        before the cut is in the file, not the cut: the file is invalid there.
        """
        for position in _cut_points(self.buffer):
            candidate = self.buffer[: position + 1] + b"]"
            try:
                raws = _RECORDS.decode(candidate)
            except msgspec.DecodeError as exc:
                at = _error_byte(exc)
                if at is not None and at < position:
                    self._invalid(at, str(exc))
                continue
            self._check_utf8(candidate)
            part = Part([bytes(raw) for raw in raws], b"\\u" in candidate)
            self.yielded += len(part.records)
            self._advance(position + 1, b"[")  # the comma after the cut becomes the next "["
            return part
        return None

    def _last_part(self) -> Iterator[Part]:
        """The records of the array's last window, which must close ``Records`` and the file."""
        end = _closing(self.buffer)
        if end is not None:
            candidate = memoryview(self.buffer)[: end + 1]
            try:
                raws = _RECORDS.decode(candidate)
            except msgspec.DecodeError:
                pass  # located by the strict reader (or another shape: a key after Records)
            else:
                self._check_utf8(candidate)
                yield Part([bytes(raw) for raw in raws], b"\\u" in self.buffer)
                return
        yield from self._whole_file()

    def _check_utf8(self, candidate: bytes | memoryview) -> None:
        if isinstance(candidate, memoryview):
            candidate = candidate.obj  # type: ignore[assignment]  # the whole buffer: no copy
        if candidate.isascii():  # type: ignore[union-attr]
            return
        try:
            bytes(candidate).decode("utf-8")
        except UnicodeDecodeError as exc:
            at = self.consumed + exc.start
            raise BadLogFile(Problem(self.path, None, f"not UTF-8 text (byte {at} of the decompressed file)")) from None

    def _whole_file(self) -> Iterator[Part]:
        """A file of another shape: read whole by the strict reader, which says what is wrong
        with it or returns its records (those not yielded yet)."""
        size = self.consumed + len(self.buffer)
        while not self.at_end:
            self._read()
            size = self.consumed + len(self.buffer)
            if size > STRICT_WHOLE_FILE_LIMIT:
                break
        if size > STRICT_WHOLE_FILE_LIMIT:
            self._locate_syntax_error()
            raise BadLogFile(Problem(self.path, None, 'not a CloudTrail log file: expected {"Records": [...]} and nothing else'))
        data = b"".join(decompressed(self.path)) if self.consumed else self.buffer
        records = read_documents(self.path, data)[self.yielded:]
        yield Part([msgspec.json.encode(record) for record in records], False)

    def _locate_syntax_error(self) -> None:
        try:
            _RECORDS.decode(self.buffer)
        except msgspec.DecodeError as exc:
            at = _error_byte(exc)
            if at is not None:
                self._invalid(at, str(exc))

    def _invalid(self, at: int, message: str) -> None:
        """Raise the BadLogFile of a syntax error at ``buffer[at]``: the strict reader's words
        (those of every other JSON file) when the file is small enough to read whole, else
        msgspec's, located by line and column."""
        if self.consumed + len(self.buffer) <= STRICT_WHOLE_FILE_LIMIT:
            read_documents(self.path, b"".join(decompressed(self.path)))
        at = max(at, 0)
        line = self.line + self.buffer.count(b"\n", 0, at)
        column = at - (self.buffer.rfind(b"\n", 0, at) + 1) + 1
        reason = _BYTE.sub("", message.replace("JSON is malformed: ", "")).strip()
        raise BadLogFile(Problem(self.path, line, f"invalid JSON at column {column}: {reason}"))


_CUT_PATTERNS = (b'},{"eventVersion"', b"},{", b"},")
"""Where a record most likely ends, most likely first: CloudTrail starts every record with its
eventVersion; ``},{`` inside a record is rare (arrays of objects), ``},`` common (any nested
object followed by a key)."""


def _closing(buffer: bytes) -> int | None:
    """Where the ``]`` closing Records is when the buffer ends ``] }`` (blanks aside), else None."""
    end = _last_non_blank(buffer, len(buffer))
    if end is None or buffer[end] != ord("}"):
        return None
    end = _last_non_blank(buffer, end)
    return end if end is not None and buffer[end] == ord("]") else None


def _last_non_blank(buffer: bytes, before: int) -> int | None:
    """The index of the last byte before ``before`` that is not JSON white space (without copying)."""
    index = before - 1
    while index >= 0 and buffer[index] in _BLANKS:
        index -= 1
    return index if index >= 0 else None


def _cut_points(buffer: bytes) -> Iterator[int]:
    """Positions of a ``}`` after which the window may be cut, the likeliest first."""
    tried = set()
    for pattern in _CUT_PATTERNS:
        position = buffer.rfind(pattern)
        if position >= 0 and position not in tried:
            tried.add(position)
            yield position
    position = len(buffer)
    for _ in range(_CUT_TRIES):
        position = buffer.rfind(b"},", 0, position)
        if position < 0:
            return
        if position not in tried:
            yield position


def read_documents(path: Path, data: bytes) -> list[Any]:
    """The records of a whole log file's bytes, strictly parsed (duplicate keys are errors).

    Several documents back to back are read one after another; an empty file is bad.
    """
    from rootwatch.snapshot.transforms import TransformError, log_file_records

    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadLogFile(Problem(path, None, f"not UTF-8 text (byte {exc.start} of the decompressed file)")) from None
    position = _skip_space(text, 0)
    if position == len(text):
        raise BadLogFile(Problem(path, None, 'empty file (a CloudTrail log file is {"Records": [...]})'))
    records: list[Any] = []
    while position < len(text):
        line = text.count("\n", 0, position) + 1
        try:
            document, end = strict_json.raw_decode(text, position)
        except strict_json.StrictJsonError as exc:
            where = f"at column {exc.column}: " if exc.column is not None else ""
            raise BadLogFile(Problem(path, exc.line, f"invalid JSON {where}{exc.message}")) from None
        try:
            records += log_file_records(document)
        except TransformError as exc:
            raise BadLogFile(Problem(path, line if line > 1 else None, str(exc))) from None
        position = _skip_space(text, end)
    return records


def _skip_space(text: str, position: int) -> int:
    while position < len(text) and text[position] in " \t\r\n":
        position += 1
    return position


def _error_byte(exc: msgspec.DecodeError) -> int | None:
    match = _BYTE.search(str(exc))
    return int(match.group(1)) if match else None
