"""Result statuses: 'alarm' (failed) is kept apart from 'error' and 'skip' (could not decide)."""

from __future__ import annotations

from enum import Enum


class Status(str, Enum):
    """A control result's status, as Powerpipe names them."""

    OK = "ok"
    ALARM = "alarm"
    INFO = "info"
    SKIP = "skip"
    ERROR = "error"

    def __str__(self) -> str:
        return self.value

    @classmethod
    def parse(cls, value: object) -> Status | None:
        """The status named by ``value``, or None when it is not one of the five."""
        # A dictionary, not cls(value): asked once per graded row (110,000 in a 10,000-account run).
        return _BY_VALUE.get(value) if isinstance(value, str) else None


_BY_VALUE: dict[str, Status] = {status.value: status for status in Status}


# The order reports list statuses in, worst first where it matters to a reader.
STATUS_ORDER: tuple[Status, ...] = (Status.ALARM, Status.ERROR, Status.OK, Status.INFO, Status.SKIP)
