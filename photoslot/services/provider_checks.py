"""What each provider is configured with, and the live check: one minimal real call each.

``flask providers check [--live]`` and the admin UI's settings page ("Проверить сейчас") both
ask here, so they report the same thing. A live call generates no image (Gemini: the model's
metadata; Turbotext: a ``get_result``); the local provider has nothing to call.
"""

from __future__ import annotations

from dataclasses import dataclass

from photoslot.clock import Deadline
from photoslot.providers import all_providers
from photoslot.providers.base import ProviderError

#: Longest one provider's live call may take.
LIVE_CHECK_SECONDS = 15


@dataclass(frozen=True)
class ProviderStatus:
    """A provider's configuration: configured or not, and what to set when it is not."""

    name: str
    configured: bool
    setup_hint: str  # e.g. "set GEMINI_API_KEY"; empty when nothing is needed


@dataclass(frozen=True)
class LiveCheck:
    """The outcome of one provider's live call. ``ok`` is None when nothing was called (the
    provider is not configured); ``message`` is the driver's answer or, on failure, what the
    provider said (for the operator, as ``flask providers check --live`` prints it)."""

    status: ProviderStatus
    ok: bool | None
    message: str = ""
    code: str | None = None  # the ProviderError code of a failed call


def provider_statuses() -> list[ProviderStatus]:
    """Every provider by name with its configuration (nothing is called)."""
    return [ProviderStatus(name, driver.is_configured(),
                           "" if driver.is_configured() else driver.setup_hint)
            for name, driver in sorted(all_providers().items())]


def live_check(seconds: float = LIVE_CHECK_SECONDS) -> list[LiveCheck]:
    """Call each configured provider once (within ``seconds`` each); unconfigured ones are
    reported without a call."""
    drivers = all_providers()
    checks = []
    for status in provider_statuses():
        if not status.configured:
            checks.append(LiveCheck(status, None))
            continue
        try:
            answer = drivers[status.name].check_live(Deadline.after(seconds))
        except ProviderError as exc:
            checks.append(LiveCheck(status, False, exc.internal, exc.code))
        else:
            checks.append(LiveCheck(status, True, answer))
    return checks
