"""Password rate limits: only failed attempts count — logins per username+IP and per IP, ingest
passwords per IP.

The limits come from Config (PHOTOSLOT_LOGIN_LIMIT_PER_USER / _PER_IP, PHOTOSLOT_INGEST_FAIL_LIMIT)
and the counters live in PHOTOSLOT_RATELIMIT_STORAGE_URI, so with Redis every gunicorn worker sees
the same counts. flask-limiter *tests* the limits before the view runs and *deducts* after it,
only when the response is a failed password; a breach raises RateLimitExceeded (429), which the
error handlers turn into the envelope, and the limiter adds ``Retry-After``. Each refusal is
counted in ``photoslot_ratelimit_rejections_total{limit}`` (once per breached limit).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from flask import Response, request
from flask_limiter import RequestLimit
from flask_limiter.util import get_remote_address

from photoslot.config import Config, current_config
from photoslot.extensions import limiter
from photoslot.log import log_event
from photoslot.metrics import record_rate_limited

log = logging.getLogger(__name__)

_MESSAGE = "too many failed login attempts; retry later"
_INGEST_MESSAGE = "too many wrong ingest passwords from this address; retry later"


def _failed(response: Response) -> bool:
    return response.status_code == 401


def _username_and_ip() -> str:
    body = request.get_json(silent=True)
    username = body.get("username") if isinstance(body, dict) else None
    name = username.strip().lower()[:64] if isinstance(username, str) else ""
    return f"{get_remote_address()}|{name}"


def _login_breached(name: str) -> Callable[[RequestLimit], None]:
    def breached(limit: RequestLimit) -> None:
        record_rate_limited(name)
        log_event(log, "login_rate_limited", limit=str(limit.limit),
                  remote_addr=get_remote_address())

    return breached


def _failed_attempts(rate: Callable[[Config], str], key: Callable[[], str],
                     failed: Callable[[Response], bool], message: str,
                     breached: Callable[[RequestLimit], None]) -> Callable:
    """A flask-limiter decorator that counts only the responses ``failed`` says are failures."""
    return limiter.limit(lambda: rate(current_config()), key_func=key, deduct_when=failed,
                         error_message=message, on_breach=breached)


def login_limits(view: Callable) -> Callable:
    """Decorate the login view with both failed-attempt limits."""
    per_user = _failed_attempts(lambda c: c.login_limit_per_user, _username_and_ip, _failed,
                                _MESSAGE, _login_breached("login_per_user"))
    per_ip = _failed_attempts(lambda c: c.login_limit_per_ip, get_remote_address, _failed,
                              _MESSAGE, _login_breached("login_per_ip"))
    return per_ip(per_user(view))


def _wrong_ingest_password(response: Response) -> bool:
    # Not ingest_password_not_set: a booth waiting for the admin is not guessing.
    if response.status_code != 401:
        return False
    body = response.get_json(silent=True)
    return isinstance(body, dict) and body.get("error", {}).get("code") == "invalid_ingest_password"


def _ingest_breached(limit: RequestLimit) -> None:
    record_rate_limited("ingest_password")
    log_event(log, "ingest_rate_limited", limit=str(limit.limit),
              remote_addr=get_remote_address())


def ingest_password_limit(view: Callable) -> Callable:
    """Decorate the booth's ingest view: wrong passwords per client IP; a right one never counts."""
    return _failed_attempts(lambda c: c.ingest_fail_limit, get_remote_address,
                            _wrong_ingest_password, _INGEST_MESSAGE, _ingest_breached)(view)
