"""Fixtures of the fault suite: the notify receivers are shared with tests/notify."""

from helpers.receivers import http_sink  # noqa: F401
