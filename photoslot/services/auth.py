"""Admin sign-in: constant-time checks against the static admins, every attempt audited and
counted before its password is checked (PHOTOSLOT_LOGIN_LIMIT_PER_USER / _PER_IP, ADR 0011)."""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace

from photoslot import metrics
from photoslot.config import current_config
from photoslot.errors import ApiError
from photoslot.extensions import attempt_counters, db
from photoslot.log import log_event
from photoslot.passwords import verify_password
from photoslot.ratelimit import address_key, rate_limited
from photoslot.services import audit

log = logging.getLogger(__name__)

MAX_USERNAME = 64
MAX_PASSWORD = 1024
_CREDENTIAL_FIELDS = frozenset({"password"})


@dataclass(frozen=True)
class SignedIn:
    """An admin whose password was right, and what the admin may do."""

    name: str
    permissions: frozenset[str]


def login(username: str, password: str, client: audit.Actor) -> SignedIn:
    """Check the credentials of a sign-in from ``client``, audit the attempt; 422 when a field is
    empty or too long, 429 ``rate_limited`` when the username or the address has used up its
    attempts, 401 ``invalid_credentials`` when they do not match.

    An unknown user costs one argon2 verification against a dummy hash, exactly like a wrong
    password, and both failures give the same answer. The attempt is counted before the check,
    so parallel guesses cannot slip past the limits; a successful sign-in clears its username's
    count (the address's keeps it).
    """
    fields = {
        name: f"must be a non-empty string of at most {limit} characters"
        for name, value, limit in (("username", username, MAX_USERNAME),
                                   ("password", password, MAX_PASSWORD))
        if not 0 < len(value) <= limit
    }
    if fields:
        raise ApiError(422, "validation_error", "username and password are required",
                       {"fields": fields})
    per_user = _admit(username, client.remote_addr)
    account = current_config().admins.get(username)
    valid = verify_password(account.password_hash if account else None, password)
    attempt = audit.diff({}, {"username": username, "password": password}, _CREDENTIAL_FIELDS)
    if account is None or not valid:
        audit.record("login_failed", "admin", username[:64], attempt,
                     replace(client, name=audit.ANONYMOUS_NAME))
        db.session.commit()
        log_event(log, "login_failed", username=username[:64])
        raise ApiError(401, "invalid_credentials", "invalid username or password")
    attempt_counters().clear(*per_user)
    audit.record("login", "admin", account.name, attempt, replace(client, name=account.name))
    db.session.commit()
    log_event(log, "login", username=account.name)
    return SignedIn(account.name, account.permissions)


def _admit(username: str, remote_addr: str | None) -> tuple[str, ...]:
    """Count this attempt for the username from this address, then for the address; 429 when
    either is used up. Returns the username's (rate, *key) so a success can clear it."""
    config, counters = current_config(), attempt_counters()
    address = address_key(remote_addr)
    per_user = (config.login_limit_per_user, "login-user", address, username.strip().lower())
    per_address = (config.login_limit_per_ip, "login", address)
    for name, (rate, *key) in (("login_per_user", per_user), ("login_per_ip", per_address)):
        if not counters.hit(rate, *key):
            log_event(log, "login_rate_limited", limit=rate, address=address)
            metrics.record_rate_limited(name)
            raise rate_limited("too many failed login attempts; retry later",
                               counters.retry_after(rate, *key), rate)
    return per_user
