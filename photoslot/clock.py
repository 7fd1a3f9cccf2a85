"""The one source of "now", deadlines and the timestamp format; tests move the clock instead of
sleeping."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

_offset = timedelta(0)


def now() -> datetime:
    """Current time as an aware UTC datetime, shifted by any offset a test has set."""
    return datetime.now(UTC) + _offset


def advance(delta: timedelta) -> None:
    """Move the clock forward (or back, with a negative delta)."""
    global _offset
    _offset += delta


def reset() -> None:
    """Return to real time."""
    global _offset
    _offset = timedelta(0)


def iso(value: datetime | None) -> str | None:
    """The one timestamp format of the API: an aware datetime as ISO 8601 (None stays None)."""
    return None if value is None else value.isoformat()


class Deadline:
    """An absolute point on the monotonic clock by which the job must be answered."""

    def __init__(self, at: float):
        self.at = at

    @classmethod
    def after(cls, seconds: float) -> Deadline:
        return cls(time.monotonic() + seconds)

    def remaining(self) -> float:
        """Seconds left, never negative."""
        return max(0.0, self.at - time.monotonic())

    @property
    def expired(self) -> bool:
        return self.remaining() <= 0.0
