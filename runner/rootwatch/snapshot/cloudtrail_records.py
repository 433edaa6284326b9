"""Splitting a CloudTrail log file into its records, streaming, without parsing them.

A log file is one JSON object, ``{"Records": [...]}``, up to hundreds of megabytes on one line.
:func:`record_parts` decompresses it a window at a time and cuts the ``Records`` array into the
raw JSON text of each record, so memory holds one window (plus the longest record), never the
file. msgspec checks the syntax of every byte it cuts (a record it cannot cut is invalid JSON,
located by line and column); nothing is turned into Python objects. The text must be UTF-8 and a
record a JSON object; anything else is a bad file naming the byte or the record's index.

Those two checks can be left to the reader of the records (``check_records=False``): a load that
keeps every record has DuckDB parse each one for its ``eventTime`` (a record that is not an object
has none) and check every string it stores is UTF-8, and names a file it rejects by reading it
again here, checks and all. Left out, the reading processes took 5-13 % less CPU time.

Only files of the shape CloudTrail writes (the ``Records`` key alone, spelt plainly) take this
path. Anything else (another key beside ``Records``, a duplicated ``Records``, documents back to
back) is read whole by the strict reader (:mod:`rootwatch.snapshot.strict_json`), which rejects a
duplicated key instead of keeping the last value, so no evidence is silently lost.
"""

from __future__ import annotations

import re
from array import array
from collections.abc import Iterator, Sequence
from itertools import accumulate
from operator import itemgetter
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
    """Consecutive records of one file: their raw JSON texts (views into the window they were cut
    from, whose ``[`` is at ``start``), and whether any of them holds a ``\\u`` escape (which could
    spell a word that a byte search would miss).

    When the window holds the records exactly as CloudTrail writes them (``[`` then the records
    separated by bare commas, then ``]``), where each record starts is known from their lengths,
    so one search over all the window's records (:meth:`holding`) finds those that hold a word
    without a Python step per record; any other layout is searched record by record.

    Both are worked out when first asked for: a load that keeps every record asks for neither.
    """

    __slots__ = ("raws", "_escaped", "_window", "_start", "_stop", "_starts", "_starts_known")

    def __init__(self, raws: Sequence[bytes | msgspec.Raw], window: bytes | None = None, start: int = 0,
                 stop: int | None = None) -> None:
        self.raws = raws
        self._window = window
        self._start = start
        self._stop = len(window) if window is not None and stop is None else stop
        """Where the array the records were decoded from ends in the window (one past its ``]``)."""
        self._escaped: bool | None = None if window is not None else False
        self._starts: list[int] | None = None
        """Where each record starts in the window (None: not laid out so), once :attr:`_starts_known`."""
        self._starts_known = window is None

    def __len__(self) -> int:
        return len(self.raws)

    @property
    def escaped(self) -> bool:
        """Whether the window, from the part's ``[`` on, holds a ``\\u`` escape."""
        if self._escaped is None:
            assert self._window is not None
            self._escaped = _has_escape(self._window, self._start)
        return self._escaped

    def _starts_in_window(self) -> list[int] | None:
        if not self._starts_known:
            assert self._window is not None and self._stop is not None
            self._starts = _record_starts(self.raws, self._start, self._stop)
            self._starts_known = True
        return self._starts

    @property
    def records(self) -> list[bytes]:
        """Each record's text as its own bytes (a copy: the search below needs none)."""
        return [bytes(raw) for raw in self.raws]

    def first_not_object(self) -> int | None:
        """The index of the first record that is not a JSON object, or None."""
        starts = self._starts_in_window()
        if starts is not None and self._window is not None:
            firsts = _first_bytes(self._window, starts)
            if firsts.count(ord("{")) == len(firsts):
                return None
        for index, raw in enumerate(self.raws):
            if memoryview(raw)[:1] != b"{":
                return index
        return None

    def holding(self, words: tuple[bytes, ...]) -> list[int]:
        """The indexes, in order, of the records that hold any of ``words`` (ASCII; none holds a comma).

        Over a window of records laid out as CloudTrail writes them, Arrow's regular expressions
        (RE2) look at every record at once, each with the comma after it: three times as fast as
        ``bytes.find`` over the window (4.6 against 1.5 GB/s for ``Root``, whose last byte is one
        of the commonest in the text). One expression per word: an alternation took RE2 off its
        fast path (0.5 GB/s)."""
        starts, window = self._starts_in_window(), self._window
        if starts is not None and window is not None and self._stop is not None:
            # Laid out so, the array ends where the last record's comma would be: its "]".
            found = _matching(window, starts, self._stop, words)
            if found is not None:
                return found
        return [i for i, raw in enumerate(self.raws) if any(_holds(raw, word) for word in words)]


def _matching(window: bytes, starts: list[int], end: int, words: tuple[bytes, ...]) -> list[int] | None:
    """The indexes of the records (``window[starts[i]:starts[i + 1]]``, the last one ending before
    ``end``) that hold any of ``words``; None where this pyarrow has no RE2."""
    import pyarrow as pa
    import pyarrow.compute as pc

    offsets = array("q", starts)
    offsets.append(end)
    records = pa.Array.from_buffers(pa.large_binary(), len(starts), [None, pa.py_buffer(offsets), pa.py_buffer(window)])
    try:
        hits = [pc.match_substring_regex(records, re.escape(word.decode("ascii"))) for word in words]
    except pa.ArrowNotImplementedError:  # pragma: no cover - pyarrow built without RE2
        return None
    found = hits[0]
    for hit in hits[1:]:
        found = pc.or_(found, hit)
    return pc.indices_nonzero(found).to_pylist()


def _holds(raw: bytes | msgspec.Raw, word: bytes) -> bool:
    return word in (raw if isinstance(raw, bytes) else bytes(raw))


def _record_starts(raws: Sequence[bytes | msgspec.Raw], start: int, stop: int) -> list[int] | None:
    """Where each record starts in a window whose array (decoded into ``raws``) spans
    ``window[start:stop]``, when the records lie there separated by single commas; else None."""
    lengths = list(map(len, raws))
    if not lengths or not _tight(start, stop, sum(lengths), len(lengths)):
        return None
    return list(accumulate([length + 1 for length in lengths[:-1]], initial=start + 1))


def _tight(start: int, stop: int, size: int, count: int) -> bool:
    """Whether an array spanning ``window[start:stop]`` that decoded into ``count`` values of
    ``size`` bytes in all holds nothing else: its brackets, the values, a comma between each two.

    Then each value starts one byte after the one before it ends. Anything else (blanks between
    values) makes the array longer. Checking the brackets where such a layout would put them is
    not enough: with blanks in the array, the byte that many places before its ``]`` can be a
    ``]`` of the last record, and the records' positions would then all be wrong."""
    return stop - start == size + count + 1


def _first_bytes(window: bytes, starts: list[int]) -> tuple[int, ...]:
    got = itemgetter(*starts)(window)
    return got if isinstance(got, tuple) else (got,)


def record_parts(path: Path, *, check_records: bool = True) -> Iterator[Part]:
    """The raw JSON text of every record of the log file ``path``, a window's worth at a time.

    Raises BadLogFile (naming the line, or the record's index) for a file that is empty, not
    gzip, not JSON, not ``{"Records": [...]}``, and with ``check_records``, not UTF-8 or holding a
    record that is not an object (without: the caller checks both, as the module says).
    """
    index = 0
    for part in _RawParts(path, check_utf8=check_records).parts():
        offset = part.first_not_object() if check_records else None
        if offset is not None:
            raise BadLogFile(Problem(path, None, f"Records[{index + offset}] is not an object"))
        index += len(part)
        yield part


class _RawParts:
    """The cutting of one file; ``consumed`` and ``line`` locate ``buffer[start]``, where the
    records not cut yet begin.

    ``buffer[start]`` is always a ``[``: the array's own (``start`` steps over the file's head
    without a copy), or, after a cut, one standing in for the comma that followed the last record
    cut, so each window parses as an array with a single copy of the bytes.
    """

    def __init__(self, path: Path, check_utf8: bool = True) -> None:
        self.path = path
        self.check_utf8 = check_utf8
        self.chunks = decompressed(path)
        self.buffer = b""
        self.start = 0
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
        """Step ``end`` bytes on from ``start``; with ``opening``, the bytes it stands for are
        replaced by it (a copy of the rest of the buffer)."""
        at = self.start + end
        self.line += self.buffer.count(b"\n", self.start, at)
        self.consumed += end
        if opening:
            self.buffer = b"".join((opening, memoryview(self.buffer)[at + len(opening):]))
            self.start = 0
        else:
            self.start = at

    def _pending(self) -> int:
        """Bytes read and not cut yet."""
        return len(self.buffer) - self.start

    def parts(self) -> Iterator[Part]:
        while len(self.buffer) < 64 and self._read():
            pass
        head = _HEAD.match(self.buffer)
        if head is None:
            yield from self._whole_file()
            return
        self._advance(head.end())
        while True:
            while not self.at_end and self._pending() < WINDOW:
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
        for position in _cut_points(self.buffer, self.start):
            cut = position - self.start  # from the window's "["
            candidate = b"".join((memoryview(self.buffer)[self.start: position + 1], b"]"))
            try:
                raws = _RECORDS.decode(candidate)
            except msgspec.DecodeError as exc:
                at = _error_byte(exc)
                if at is not None and at < cut:
                    self._invalid(at, str(exc))
                continue
            self._check_utf8(candidate)
            part = Part(raws, candidate)
            self.yielded += len(part)
            self._advance(cut + 1, b"[")  # the comma after the cut becomes the next "["
            return part
        return None

    def _last_part(self) -> Iterator[Part]:
        """The records of the array's last window, which must close ``Records`` and the file."""
        end = _closing(self.buffer)
        if end is not None and end > self.start:
            try:
                raws = _RECORDS.decode(memoryview(self.buffer)[self.start: end + 1])
            except msgspec.DecodeError:
                pass  # located by the strict reader (or another shape: a key after Records)
            else:
                self._check_utf8(self.buffer, self.start)
                yield Part(raws, self.buffer, self.start, end + 1)
                return
        yield from self._whole_file()

    def _check_utf8(self, data: bytes, start: int = 0) -> None:
        """``data`` (``data[start]`` at ``consumed``) must be UTF-8 text (unless the caller checks it)."""
        if not self.check_utf8 or data.isascii():
            return
        try:
            data.decode("utf-8")
        except UnicodeDecodeError as exc:
            at = self.consumed - start + exc.start
            raise BadLogFile(Problem(self.path, None, f"not UTF-8 text (byte {at} of the decompressed file)")) from None

    def _whole_file(self) -> Iterator[Part]:
        """A file of another shape: read whole by the strict reader, which says what is wrong
        with it or returns its records (those not yielded yet)."""
        size = self.consumed + self._pending()
        while not self.at_end:
            self._read()
            size = self.consumed + self._pending()
            if size > STRICT_WHOLE_FILE_LIMIT:
                break
        if size > STRICT_WHOLE_FILE_LIMIT:
            self._locate_syntax_error()
            raise BadLogFile(Problem(self.path, None, 'not a CloudTrail log file: expected {"Records": [...]} and nothing else'))
        # The buffer holds the whole file when nothing was cut from it yet.
        data = self.buffer if self.consumed == self.start else b"".join(decompressed(self.path))
        records = read_documents(self.path, data)[self.yielded:]
        yield Part([msgspec.json.encode(record) for record in records])

    def _locate_syntax_error(self) -> None:
        try:
            _RECORDS.decode(memoryview(self.buffer)[self.start:])
        except msgspec.DecodeError as exc:
            at = _error_byte(exc)
            if at is not None:
                self._invalid(at, str(exc))

    def _invalid(self, at: int, message: str) -> None:
        """Raise the BadLogFile of a syntax error at ``buffer[at]``: the strict reader's words
        (those of every other JSON file) when the file is small enough to read whole, else
        msgspec's, located by line and column."""
        if self.consumed + self._pending() <= STRICT_WHOLE_FILE_LIMIT:
            read_documents(self.path, b"".join(decompressed(self.path)))
        at = self.start + max(at, 0)  # in the buffer
        line = self.line + self.buffer.count(b"\n", self.start, at)
        newline = self.buffer.rfind(b"\n", self.start, at)
        column = at - (newline + 1 if newline >= 0 else self.start) + 1
        reason = _BYTE.sub("", message.replace("JSON is malformed: ", "")).strip()
        raise BadLogFile(Problem(self.path, line, f"invalid JSON at column {column}: {reason}"))


_CUT_PATTERNS = (b'},{"eventVersion"', b"},{", b"},")
"""Where a record most likely ends, most likely first: CloudTrail starts every record with its
eventVersion; ``},{`` inside a record is rare (arrays of objects), ``},`` common (any nested
object followed by a key)."""


def _has_escape(data: bytes, start: int = 0) -> bool:
    """Whether ``data[start:]`` holds a ``\\u`` escape; a backslash is looked for first (memchr:
    many times as fast as the two-byte search, and most windows have none)."""
    return data.find(b"\\", start) >= 0 and data.find(b"\\u", start) >= 0


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


def _cut_points(buffer: bytes, start: int) -> Iterator[int]:
    """Positions of a ``}`` after ``start`` after which the window may be cut, the likeliest first."""
    tried = set()
    for pattern in _CUT_PATTERNS:
        position = buffer.rfind(pattern, start)
        if position >= 0 and position not in tried:
            tried.add(position)
            yield position
    position = len(buffer)
    for _ in range(_CUT_TRIES):
        position = buffer.rfind(b"},", start, position)
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
