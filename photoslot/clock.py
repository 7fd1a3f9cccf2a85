"""The one source of "now" for the whole application; tests move it instead of sleeping."""

from __future__ import annotations

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
