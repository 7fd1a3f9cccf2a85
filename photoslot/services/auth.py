"""Admin sign-in: constant-time checks against the static admins, every attempt audited."""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace

from photoslot.config import current_config
from photoslot.errors import ApiError
from photoslot.extensions import db
from photoslot.log import log_event
from photoslot.passwords import verify_password
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
    empty or too long, 401 ``invalid_credentials`` when they do not match.

    An unknown user costs one argon2 verification against a dummy hash, exactly like a wrong
    password, and both failures give the same answer.
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
    account = current_config().admins.get(username)
    valid = verify_password(account.password_hash if account else None, password)
    attempt = audit.diff({}, {"username": username, "password": password}, _CREDENTIAL_FIELDS)
    if account is None or not valid:
        audit.record("login_failed", "admin", username[:64], attempt,
                     replace(client, name=audit.ANONYMOUS_NAME))
        db.session.commit()
        log_event(log, "login_failed", username=username[:64])
        raise ApiError(401, "invalid_credentials", "invalid username or password")
    audit.record("login", "admin", account.name, attempt, replace(client, name=account.name))
    db.session.commit()
    log_event(log, "login", username=account.name)
    return SignedIn(account.name, account.permissions)
