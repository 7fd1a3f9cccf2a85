"""The one-cleanup-at-a-time lock: a PostgreSQL advisory lock, or a file lock beside the SQLite
database file (never in the media root, whose every file must belong to a media row)."""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import text

from photoslot.extensions import db

# Any fixed 64-bit number shared by every PhotoSlot process on the database ("PSCLEAN1").
ADVISORY_LOCK_KEY = int.from_bytes(b"PSCLEAN1", "big") & 0x7FFF_FFFF_FFFF_FFFF
LOCK_SUFFIX = ".cleanup.lock"


@contextmanager
def cleanup_lock() -> Iterator[bool]:
    """Take the cleanup lock without waiting; yield True if held, False if another run has it."""
    if db.engine.dialect.name == "postgresql":
        with _advisory_lock() as acquired:
            yield acquired
    else:
        with _file_lock() as acquired:
            yield acquired


@contextmanager
def _advisory_lock() -> Iterator[bool]:
    # Session-level lock on a dedicated autocommit connection: no transaction stays open for the
    # whole run, and if the process dies PostgreSQL ends the session and frees the lock.
    conn = db.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
    acquired = False
    try:
        acquired = bool(
            conn.scalar(text("SELECT pg_try_advisory_lock(:key)"), {"key": ADVISORY_LOCK_KEY})
        )
        yield acquired
    finally:
        try:
            if acquired:
                conn.scalar(text("SELECT pg_advisory_unlock(:key)"), {"key": ADVISORY_LOCK_KEY})
        finally:
            # Never hand a session that might still hold the lock back to the pool.
            conn.invalidate()
            conn.close()


@contextmanager
def _file_lock() -> Iterator[bool]:
    database = db.engine.url.database
    if not database or database == ":memory:":
        raise RuntimeError("the cleanup lock needs a SQLite database file or PostgreSQL")
    path = Path(database).with_name(Path(database).name + LOCK_SUFFIX)
    with open(path, "a+b") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
