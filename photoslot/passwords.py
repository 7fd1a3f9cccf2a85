"""Password hashing and verification (argon2id): admin passwords and the ingest password.

A verification costs ~0.2 s of the worker's one CPU thread (photoslot/offload.py), which also
decodes and encodes every booth's photo. So at most ``VERIFY_SLOTS`` of them per worker are on
that thread (running or queued) at a time; a check that cannot get a slot within its wait
answers 503 ``password_check_busy`` instead of queueing without end (ADR 0011).
"""

from __future__ import annotations

import weakref
from functools import cache
from typing import Any

import gevent
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from gevent.lock import BoundedSemaphore

from photoslot.errors import ApiError
from photoslot.offload import off_loop

_hasher = PasswordHasher()

#: argon2 checks a worker runs or queues at once; more wait for a slot.
VERIFY_SLOTS = 2
#: The longest a check waits for a slot before answering 503.
VERIFY_WAIT_S = 2.0

_slots: weakref.WeakKeyDictionary[Any, BoundedSemaphore] = weakref.WeakKeyDictionary()


def hash_password(password: str) -> str:
    """Return an argon2id hash of ``password``."""
    return _hasher.hash(password)


@cache
def _dummy_hash() -> str:
    # Verified against when there is no real hash (an unknown username), so that case costs the
    # same argon2 work as a wrong password. Made on first use, not at import.
    return _hasher.hash("photoslot-dummy-password")


def verify_password(password_hash: str | None, password: str,
                    wait_s: float = VERIFY_WAIT_S) -> bool:
    """Check ``password`` against ``password_hash`` in constant time; None hashes never match.

    Waits at most ``wait_s`` for one of the worker's verification slots, else ApiError 503."""
    slots = _worker_slots()
    if not slots.acquire(timeout=max(0.0, wait_s)):
        raise password_check_busy()
    try:
        valid = off_loop(_matches, password_hash or _dummy_hash(), password)
    finally:
        slots.release()
    return valid and password_hash is not None


def password_check_busy() -> ApiError:
    """The 503 of a password check that found every slot taken for as long as it could wait."""
    return ApiError(503, "password_check_busy",
                    "too many password checks at once; retry in a moment", {},
                    {"Retry-After": "1"})


def _matches(password_hash: str, password: str) -> bool:
    # On the CPU thread. A mismatch is an answer, not an error: raised there, gevent's thread
    # pool would print its traceback for every wrong password.
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def _worker_slots() -> BoundedSemaphore:
    # One per event loop, like the CPU thread it guards (offload.py).
    hub = gevent.get_hub()
    slots = _slots.get(hub)
    if slots is None:
        slots = _slots[hub] = BoundedSemaphore(VERIFY_SLOTS)
    return slots
