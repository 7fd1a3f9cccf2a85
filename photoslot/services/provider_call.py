"""The one place a provider is called: under a gevent.Timeout of the deadline's remaining time.

See adr/0004-deadline.md: the call runs in the request's greenlet, so a fired Timeout interrupts
it where it waits; nothing but ``process`` runs under the Timeout.
"""

from __future__ import annotations

import gevent

from photoslot.providers import get_provider
from photoslot.providers.base import Deadline, ProviderError, ProviderRequest, ProviderResult


def call_provider(name: str, request: ProviderRequest, deadline: Deadline) -> ProviderResult:
    """The driver's answer within ``deadline``; ProviderError (``provider_timeout`` when late)."""
    remaining = deadline.remaining()
    if remaining <= 0:
        raise ProviderError("provider_timeout", "the deadline passed before the provider call")
    try:
        provider = get_provider(name)
    except KeyError:
        raise ProviderError("provider_unavailable", f"provider {name!r} is not installed") from None
    if not provider.is_configured():
        raise ProviderError("provider_unavailable", f"provider {name!r} is not configured")
    timer = gevent.Timeout(remaining)
    timer.start()
    try:
        result = provider.process(request, deadline)
    except gevent.Timeout as exc:
        if exc is not timer:
            # A driver's own inner timeout escaped it: still a provider failure, never a dropped
            # connection (gevent.Timeout is a BaseException, past every handler).
            raise ProviderError("provider_error", "the driver's own timeout escaped it") from None
        raise ProviderError("provider_timeout", "the provider did not answer in time") from None
    finally:
        timer.cancel()
    if deadline.expired:
        # CPU-bound work cannot be interrupted; an answer that arrives late is discarded.
        raise ProviderError("provider_timeout", "the provider answered after the deadline")
    return result
