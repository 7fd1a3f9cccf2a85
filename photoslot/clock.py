"""The one source of "now", deadlines and the timestamp format; tests move the clock instead of
sleeping."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import gevent

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


class DeadlinePassed(Exception):
    """A wait bounded by a ``Deadline`` ran out of time."""


class Deadline:
    """An absolute point on the monotonic clock by which the request must be answered."""

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

    @contextmanager
    def bounded(self, extra_s: float = 0.0) -> Iterator[None]:
        """Cut the block's cooperative waits (a socket read, a pool checkout, a CPU-thread
        result) when the deadline, plus ``extra_s``, passes; DeadlinePassed then, or at once when
        no time is left. Only waits are cut: CPU-bound work runs on until it next yields."""
        remaining = self.at + extra_s - time.monotonic()
        if remaining <= 0:
            raise DeadlinePassed()
        timer = gevent.Timeout(remaining)
        timer.start()
        try:
            yield
        except gevent.Timeout as exc:
            if exc is not timer:
                raise  # someone else's timer (a driver's own): not ours to translate
            raise DeadlinePassed() from None
        finally:
            timer.cancel()
