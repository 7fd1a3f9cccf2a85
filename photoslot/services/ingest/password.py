"""The ingest password check: free for the booths, bounded for everyone else (ADR 0011).

- A password already proven right in this worker since the last rotation (a digest of hash and
  candidate, kept in memory) costs no argon2 work; booths that send it at the same moment before
  it is proven (after a restart or a rotation) share one argon2 check, and only the attempt that
  runs it is counted (the others only if its verdict is "wrong").
- Every other attempt is counted against its client address *before* argon2 runs, so parallel
  guesses cannot slip past the limit; an address over ``PHOTOSLOT_INGEST_FAIL_LIMIT`` gets 429
  without any argon2 work.
- An address the right password came from within ``BOOTH_ADDRESS_TTL_S`` is a booth's: it is
  never locked out by the wrong passwords of others behind the same NAT (they are still counted
  and still answered 401, each through the bounded argon2 slots of ``photoslot.passwords``).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable

import gevent
from gevent.event import AsyncResult

from photoslot import metrics
from photoslot.clock import Deadline
from photoslot.config import current_config
from photoslot.errors import ApiError
from photoslot.extensions import attempt_counters, db
from photoslot.log import log_event
from photoslot.passwords import VERIFY_WAIT_S, password_check_busy, verify_password
from photoslot.ratelimit import address_key, rate_limited
from photoslot.services.settings import ingest_password_setting

log = logging.getLogger(__name__)

#: How long an address stays a booth's after the right password last came from it: an event day.
BOOTH_ADDRESS_TTL_S = 24 * 3600
_RIGHT_MAX = 64
_right: set[str] = set()  # digests of (hash, candidate) proven right; a rotation never matches
_checking: dict[str, AsyncResult] = {}  # digest -> the verdict of the check running for it


def check_ingest_password(candidate: str | None) -> bool | None:
    """True/False for ``candidate`` against the current hash, None before the first rotation;
    nothing counted (tests, the CLI). The hash is read fresh, so a rotation holds at once."""
    stored = _stored_hash()
    if stored is None:
        return None
    return _proven(stored, candidate or "") or _verify(stored, candidate, VERIFY_WAIT_S)


def authorize_ingest(candidate: str | None, remote_addr: str | None = None,
                     deadline: Deadline | None = None) -> None:
    """The booth's password check from ``remote_addr``: 401 ``ingest_password_not_set`` before
    the first rotation, 429 ``rate_limited`` from an address locked out, 401
    ``invalid_ingest_password`` for a wrong or missing candidate; nothing when it is right."""
    stored = _stored_hash()
    if stored is None:
        raise ApiError(401, "ingest_password_not_set",
                       "ingest password is not set; an administrator must set it first")
    address = address_key(remote_addr)
    wait_s = VERIFY_WAIT_S if deadline is None else min(VERIFY_WAIT_S, deadline.remaining())
    if _proven(stored, candidate or ""):
        _admit(address, proven=True)
    elif not _verify(stored, candidate, wait_s, admit=lambda right: _admit(address, right)):
        raise ApiError(401, "invalid_ingest_password",
                       "wrong or missing ingest password (it must come before the photo)")
    attempt_counters().mark(_booth_marker(address), BOOTH_ADDRESS_TTL_S)


def _stored_hash() -> str | None:
    try:
        row = ingest_password_setting()
        return row.value if row else None
    finally:
        db.session.close()  # no connection is held during argon2 or while the body streams


def _admit(address: str, proven: bool) -> None:
    """Count an unproven attempt before it is verified; 429 when the address is locked out."""
    counters, rate = attempt_counters(), current_config().ingest_fail_limit
    allowed = counters.test(rate, "ingest", address) if proven else counters.hit(
        rate, "ingest", address)
    if allowed or counters.marked(_booth_marker(address)):
        return
    log_event(log, "ingest_rate_limited", limit=rate, address=address)
    metrics.record_rate_limited("ingest_password")
    raise rate_limited("too many wrong ingest passwords from this address; retry later",
                       counters.retry_after(rate, "ingest", address), rate)


def _proven(stored: str, candidate: str) -> bool:
    return bool(candidate) and _digest(stored, candidate) in _right


def _verify(stored: str, candidate: str | None, wait_s: float,
            admit: Callable[[bool], None] = lambda proven: None) -> bool:
    """Whether ``candidate`` is right. ``admit(proven)`` runs before any argon2 work of this
    call's own: with the shared verdict when an identical candidate's check was running, else
    with False once this call's check is announced — so identical candidates arriving while it
    is counted (which may yield) wait for its verdict instead of being counted as guesses."""
    if not candidate:
        admit(False)
        return False
    digest = _digest(stored, candidate)
    running = _checking.get(digest)
    if running is not None:  # the same candidate is being checked: share its verdict
        try:
            shared = running.get(timeout=wait_s)
        except gevent.Timeout:
            raise password_check_busy() from None
        if shared is not None:
            admit(shared)
            return shared  # None: that check did not finish (busy, refused, killed); make our own
    _checking[digest] = verdict = AsyncResult()
    right = None
    try:
        admit(False)
        right = verify_password(stored, candidate, wait_s)
    finally:
        if _checking.get(digest) is verdict:
            del _checking[digest]
        verdict.set(right)
    if right:
        if len(_right) >= _RIGHT_MAX:
            _right.clear()
        _right.add(digest)
    return right


def _digest(stored: str, candidate: str) -> str:
    return hashlib.sha256(f"{stored}\0{candidate}".encode()).hexdigest()


def _booth_marker(address: str) -> str:
    return f"ingest-booth/{address}"
