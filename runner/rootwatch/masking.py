"""Masking anything that could be a secret in a message, once, where the command line prints it.

Libraries quote what they were given: psycopg echoes an unparsable DSN whole, botocore an endpoint
URL, a resolver the "host" it was asked for (``ss@SECRET@127.0.0.1`` when a password holds an
``@``). Rather than trusting each call site, every line rootwatch writes to stderr goes through
:func:`mask_secrets`, which hides

- the password of anything shaped like ``[scheme:/[/]]user:password@host``, including a password
  that itself holds ``@`` (everything up to the last ``@`` of the word is credentials);
- the value of any ``key=value`` or ``key: value`` whose key looks like a secret, misspelt or not
  (``password``, ``PASSWORD``, ``pasword``, ``passwd``, ``pwd``, ``secret``, ``token``, ``api_key``...);
- every piece of text the command line's own arguments would have had masked (``known``), so that a
  fragment quoted on its own (a resolver's "host") is hidden too.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable, Sequence
from typing import Any, TextIO

MASK = "***"

_WORD = re.compile(r"[^\s'\"<>(),;]+")
_SCHEME = re.compile(r"^[A-Za-z][\w+.-]*:?//?")
_KEY_VALUE = re.compile(
    r"""(?P<key>["']?[A-Za-z][\w.-]*["']?)(?P<sep>\s*(?:=|:(?!//))\s*)"""
    r"""(?P<value>"[^"]*"|'[^']*'|[^\s&;,'"}]+)"""
)
_SECRET_WORDS = frozenset({"pass", "pwd", "pw", "sig", "signature", "apikey"})
_SECRET_ENDINGS = ("password", "passwd", "secret", "token")
_PASSWORD_LIKE = re.compile(r"^p\w{0,4}w\w{0,3}r?d$")
_MIN_KNOWN = 4
"""Shorter fragments are not replaced on their own: masking every "p" would garble the message."""


def is_secret_key(key: str) -> bool:
    """Whether a setting named ``key`` (any case, misspelt) probably holds a secret: its last word
    names one (``password``, ``smtp_password``, ``pasword``, ``client_secret``, ``access_token``,
    ``X-Amz-Signature``, ``aws_secret_access_key``). A key that describes one
    (``password_last_used``, a credential report column) does not."""
    name = key.strip("\"'").lower()
    last = re.split(r"[_.\-]", name)[-1]
    if last == "key":
        return any(part in name for part in ("secret", "private", "api", "access"))
    return last in _SECRET_WORDS or last.endswith(_SECRET_ENDINGS) or bool(_PASSWORD_LIKE.match(last))


def _mask_credentials(word: str, found: list[str]) -> str:
    """``word`` with the credentials of a ``user:password@host`` form masked."""
    at = word.rfind("@")
    if at < 0:
        return word
    lead_end = word.find("=", 0, at) + 1  # a ``key=`` before the URL stays
    scheme = _SCHEME.match(word, lead_end)
    start = scheme.end() if scheme else lead_end
    userinfo = word[start:at]
    if ":" in userinfo:
        user, _, password = userinfo.partition(":")
        if not password:
            return word
        found.append(password)
        return f"{word[:start]}{user}:{MASK}{word[at:]}"
    if "@" in userinfo:  # a password holding "@" read as part of the host
        found.append(userinfo)
        return f"{word[:start]}{MASK}{word[at:]}"
    return word


def _mask(text: str, found: list[str]) -> str:
    def key_value(match: re.Match[str]) -> str:
        if not is_secret_key(match["key"]):
            return match[0]
        value = match["value"]
        quote = value[0] if value[:1] in ("'", '"') else ""
        found.append(value.strip(quote))
        return f"{match['key']}{match['sep']}{quote}{MASK}{quote}"

    text = _KEY_VALUE.sub(key_value, text)
    return _WORD.sub(lambda match: _mask_credentials(match[0], found), text)


def mask_secrets(text: str, known: Iterable[str] = ()) -> str:
    """``text`` with every secret it seems to hold, and every ``known`` secret, replaced by ``***``."""
    for secret in sorted(set(known), key=len, reverse=True):
        if len(secret) >= _MIN_KNOWN:
            text = text.replace(secret, MASK)
    return _mask(text, [])


def secrets_in(values: Iterable[str]) -> tuple[str, ...]:
    """The pieces of ``values`` (command-line arguments, say) that :func:`mask_secrets` would hide,
    and their ``@``-separated parts, to be hidden wherever a message quotes them on their own."""
    found: list[str] = []
    for value in values:
        _mask(value, found)
    pieces = {*found, *(part for secret in found for part in secret.split("@"))}
    return tuple(sorted(piece for piece in pieces if len(piece) >= _MIN_KNOWN))


class MaskingStream:
    """A text stream that masks secrets in everything written to it (stderr at the CLI edge)."""

    def __init__(self, stream: TextIO, known: Sequence[str]) -> None:
        self._stream = stream
        self._known = tuple(known)

    def write(self, text: str) -> int:
        self._stream.write(mask_secrets(text, self._known))
        return len(text)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def masked_stderr(argv: Sequence[str]) -> MaskingStream:
    """``sys.stderr`` masking secrets, including those in ``argv``."""
    return MaskingStream(sys.stderr, secrets_in(argv))
