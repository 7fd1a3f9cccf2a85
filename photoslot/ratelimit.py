"""Counters of password attempts and the address they are kept by (ADR 0011).

Moving windows per key in ``PHOTOSLOT_RATELIMIT_STORAGE_URI``, through the storage and strategy
flask-limiter builds from it (extensions.limiter): ``memory://`` (each worker counts on its own)
or ``redis://`` (every worker shares them). Attempts are counted here, by the services, and not
by flask-limiter's decorators: a password must be counted before it is verified, and the booth's
arrives in the middle of the body. Redis calls wait at most ``REDIS_TIMEOUT_S``; when one fails,
the counters move to this process's memory for ``REDIS_RETRY_AFTER_S`` and Redis is then tried
again — an outage costs the sharing between workers, never a request.
"""

from __future__ import annotations

import ipaddress
import logging
import math
import time
from collections.abc import Callable
from typing import TypeVar

from limits import RateLimitItem, parse_many
from limits.errors import StorageError
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter, RateLimiter

from photoslot.config import Config
from photoslot.errors import ApiError
from photoslot.log import log_event

log = logging.getLogger(__name__)

REDIS_TIMEOUT_S = 0.5
REDIS_RETRY_AFTER_S = 30.0
#: IPv6 clients are counted by their /64: one subscriber or venue network gets one /64 at least,
#: and counting single addresses would let it guess with 2**64 of them.
IPV6_PREFIX = 64

T = TypeVar("T")


def address_key(remote_addr: str | None) -> str:
    """The key a client is counted by: its IPv4 address, or the /64 network of its IPv6 one."""
    try:
        address = ipaddress.ip_address(remote_addr or "")
    except ValueError:
        return remote_addr or "unknown"
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, IPV6_PREFIX), strict=False))
    return str(address)


class AttemptCounters:
    """Moving-window counters and markers in the configured storage, with a memory fallback."""

    def __init__(self, primary: RateLimiter, storage_uri: str):
        """``primary``: the moving-window strategy over the configured storage (the one
        flask-limiter made from ``storage_uri``, which is kept for log lines)."""
        self.storage_uri = storage_uri
        self._primary = primary
        self._memory = MovingWindowRateLimiter(MemoryStorage())
        self._primary_down_until = 0.0

    def hit(self, rate: str, *key: str) -> bool:
        """Count one attempt under ``key`` in each window of ``rate`` (``5/minute;50/hour``);
        False when a window is full (that one counts nothing)."""
        items = parse_many(rate)
        return self._use(lambda limiter: all([limiter.hit(item, *key) for item in items]))

    def test(self, rate: str, *key: str) -> bool:
        """True when one more attempt under ``key`` would be allowed (nothing is counted)."""
        items = parse_many(rate)
        return self._use(lambda limiter: all(limiter.test(item, *key) for item in items))

    def clear(self, rate: str, *key: str) -> None:
        """Forget every attempt counted under ``key``."""
        items = parse_many(rate)
        self._use(lambda limiter: [limiter.clear(item, *key) for item in items])

    def retry_after(self, rate: str, *key: str) -> int:
        """Whole seconds until every window under ``key`` admits an attempt (at least 1)."""
        items = parse_many(rate)

        def latest_reset(limiter: MovingWindowRateLimiter) -> float:
            stats = [limiter.get_window_stats(item, *key) for item in items]
            return max((s.reset_time for s in stats if s.remaining == 0), default=time.time())

        return max(1, math.ceil(self._use(latest_reset) - time.time()))

    def mark(self, name: str, ttl_s: int) -> None:
        """Set the marker ``name`` for ``ttl_s`` seconds from now (an existing one is renewed)."""

        def renew(limiter: MovingWindowRateLimiter) -> None:
            limiter.storage.clear(f"marker/{name}")
            limiter.storage.incr(f"marker/{name}", ttl_s)

        self._use(renew)

    def marked(self, name: str) -> bool:
        """True while the marker ``name`` is set."""
        return self._use(lambda limiter: limiter.storage.get(f"marker/{name}") > 0)

    def _use(self, operation: Callable[[MovingWindowRateLimiter], T]) -> T:
        if time.monotonic() >= self._primary_down_until:
            try:
                return operation(self._primary)
            except StorageError as exc:
                self._primary_down_until = time.monotonic() + REDIS_RETRY_AFTER_S
                log_event(log, "ratelimit_storage_unreachable", level=logging.WARNING,
                          storage=_without_password(self.storage_uri),
                          reason=str(exc.storage_error)[:200],
                          fallback_s=REDIS_RETRY_AFTER_S)
        return operation(self._memory)


def _without_password(uri: str) -> str:
    scheme, _, rest = uri.partition("://")
    return f"{scheme}://{rest.rpartition('@')[2]}"


def rate_limited(message: str, retry_after_s: int, limit: str) -> ApiError:
    """The 429 every password limit answers with, saying when to try again."""
    return ApiError(429, "rate_limited", message, {"limit": limit, "retry_after_s": retry_after_s},
                    {"Retry-After": str(retry_after_s)})


def log_per_worker_limits(config: Config, workers: int) -> None:
    """With ``memory://`` and several workers each worker counts on its own: log, once per
    worker at start-up, what the limits then really are (gunicorn.conf.py calls this)."""
    if not config.ratelimit_storage_uri.startswith("memory://") or workers <= 1:
        return
    limits = {"login per username+address": config.login_limit_per_user,
              "login per address": config.login_limit_per_ip,
              "wrong ingest passwords per address": config.ingest_fail_limit}
    effective = {name: _times(rate, workers) for name, rate in limits.items()}
    log_event(log, "ratelimit_per_worker", level=logging.WARNING, workers=workers,
              effective=effective,
              advice=f"PHOTOSLOT_RATELIMIT_STORAGE_URI is memory://: each of the {workers} "
                     f"workers counts on its own; set a redis:// URI to share the counters")


def _times(rate: str, workers: int) -> str:
    return " and ".join(f"{item.amount * workers} per {_per(item)}" for item in parse_many(rate))


def _per(item: RateLimitItem) -> str:
    unit = item.GRANULARITY.name
    return unit if item.multiples == 1 else f"{item.multiples} {unit}s"
