"""One JSON POST over HTTP(S) for the webhook notifiers, with errors sorted into retryable or not.

The standard library's client is enough for a POST and keeps notifier imports cheap. Certificates
are verified against the system store, or ``ca_file`` for a private CA. Messages never repeat the
URL (webhook services put their token in its path): the caller names the endpoint, masked.
"""

from __future__ import annotations

import json
import socket
import ssl
import urllib.error
import urllib.request
from collections.abc import Mapping
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

from rootwatch import __version__
from rootwatch.notify import DeliveryError
from rootwatch.notify.secrets import Secret

# 408 and 429 and every 5xx may pass on a later attempt; other 4xx say the request itself is wrong.
RETRYABLE_STATUS = {408, 425, 429}


def post_json(
    url: Secret,
    body: Mapping[str, Any] | list[Any],
    *,
    timeout: float,
    headers: Mapping[str, str] | None = None,
    ca_file: Path | None = None,
) -> bytes:
    """POST ``body`` as JSON to ``url``; returns the response body or raises DeliveryError."""
    data = json.dumps(body, ensure_ascii=False, default=str).encode("utf-8")
    request = urllib.request.Request(url.reveal(), data=data, method="POST")
    request.add_header("Content-Type", "application/json; charset=utf-8")
    request.add_header("User-Agent", f"rootwatch/{__version__}")
    for name, value in (headers or {}).items():
        request.add_header(name, value)
    # Loading the CA store costs tens of milliseconds; a plain-http endpoint (a local relay) needs none.
    https = url.reveal().lower().startswith("https://")
    context = ssl.create_default_context(cafile=str(ca_file) if ca_file else None) if https else None
    try:
        with urllib.request.urlopen(request, timeout=timeout, context=context) as response:  # noqa: S310 - http(s) checked at configuration
            return response.read()
    except urllib.error.HTTPError as exc:
        detail = _error_body(exc)
        retry_after = _retry_after(exc.headers.get("Retry-After") if exc.headers else None)
        retryable = exc.code >= 500 or exc.code in RETRYABLE_STATUS
        raise DeliveryError(f"answered HTTP {exc.code} {exc.reason}{detail}", retryable=retryable, retry_after=retry_after) from None
    except urllib.error.URLError as exc:
        reason = exc.reason
        if isinstance(reason, ssl.SSLCertVerificationError):
            raise DeliveryError(f"TLS certificate not trusted ({reason.verify_message}); set ca_file for a private CA", retryable=False) from None
        raise DeliveryError(f"cannot connect: {reason}", retryable=True) from None
    except (TimeoutError, socket.timeout):
        raise DeliveryError(f"no answer within {timeout:.0f} s", retryable=True) from None
    except (ConnectionError, OSError) as exc:
        raise DeliveryError(f"cannot connect: {exc.strerror or exc}", retryable=True) from None


def _error_body(exc: urllib.error.HTTPError) -> str:
    """The first line of an error response (services explain a refusal there), kept short."""
    try:
        text = exc.read(300).decode("utf-8", "replace").strip().splitlines()
    except OSError:
        return ""
    return f": {text[0][:200]}" if text else ""


def _retry_after(value: str | None) -> float | None:
    """``Retry-After`` as seconds (a number or an HTTP date); None when absent or unreadable."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        from datetime import datetime, timezone

        return max(0.0, (parsedate_to_datetime(value) - datetime.now(timezone.utc)).total_seconds())
    except (TypeError, ValueError):
        return None
