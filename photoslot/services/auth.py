"""Admin login: constant-time checks against the static admins, tokens that follow our clock."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from flask_jwt_extended import create_access_token

from photoslot import clock
from photoslot.auth import verify_password
from photoslot.config import ACCESS_TOKEN_LIFETIME, current_config
from photoslot.errors import ApiError
from photoslot.extensions import db
from photoslot.log import log_event
from photoslot.services import audit

log = logging.getLogger(__name__)

MAX_USERNAME = 64
MAX_PASSWORD = 1024
#: Actor of audit rows written before anyone is authenticated (failed logins).
ANONYMOUS_ACTOR = "anonymous"
_CREDENTIAL_FIELDS = frozenset({"password"})
#: How long an access token is valid, in seconds (the same constant configures flask-jwt-extended).
TOKEN_LIFETIME_S = int(ACCESS_TOKEN_LIFETIME.total_seconds())


@dataclass(frozen=True)
class LoginResult:
    """A fresh access token and what it grants."""

    access_token: str
    expires_in: int
    permissions: list[str]


def issue_token(name: str, permissions: Iterable[str]) -> str:
    """Mint an access token for admin ``name`` whose iat/nbf/exp come from ``clock.now()``."""
    now = int(clock.now().timestamp())
    # Additional claims override flask-jwt-extended's wall-clock iat/nbf/exp (tokens.py update()).
    claims = {
        "permissions": sorted(permissions),
        "iat": now,
        "nbf": now,
        "exp": now + TOKEN_LIFETIME_S,
    }
    return create_access_token(identity=name, additional_claims=claims)


def login_request(body: dict[str, Any]) -> LoginResult:
    """``POST /api/login``: 422 unless ``username`` and ``password`` are non-empty strings within
    their limits, then ``login``."""
    fields = {
        name: f"must be a non-empty string of at most {limit} characters"
        for name, limit in (("username", MAX_USERNAME), ("password", MAX_PASSWORD))
        if not isinstance(body.get(name), str) or not 0 < len(body[name]) <= limit
    }
    if fields:
        raise ApiError(422, "validation_error", "username and password are required",
                       {"fields": fields})
    return login(body["username"], body["password"])


def login(username: str, password: str) -> LoginResult:
    """Check the credentials, audit the attempt and return a token; 401 ``invalid_credentials``.

    An unknown user costs one argon2 verification against a dummy hash, exactly like a wrong
    password, and both failures give the same answer.
    """
    account = current_config().admins.get(username)
    valid = verify_password(account.password_hash if account else None, password)
    attempt = audit.diff({}, {"username": username, "password": password}, _CREDENTIAL_FIELDS)
    if account is None or not valid:
        audit.record("login_failed", "admin", username[:64], attempt, actor=ANONYMOUS_ACTOR)
        db.session.commit()
        log_event(log, "login_failed", username=username[:64])
        raise ApiError(401, "invalid_credentials", "invalid username or password")
    audit.record("login", "admin", account.name, attempt, actor=account.name)
    db.session.commit()
    log_event(log, "login", username=account.name)
    return LoginResult(
        access_token=issue_token(account.name, account.permissions),
        expires_in=TOKEN_LIFETIME_S,
        permissions=sorted(account.permissions),
    )
