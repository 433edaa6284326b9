"""The notifier tests' real receivers on loopback (defined in helpers.receivers)."""

from helpers.receivers import (  # noqa: F401
    certificate,
    example,
    http_sink,
    smtp_implicit,
    smtp_plain,
    smtp_starttls,
)
