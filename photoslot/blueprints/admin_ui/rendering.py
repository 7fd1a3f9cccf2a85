"""Rendering helpers of the admin UI: page or partial, the signed-in admin for the layout, and
the filters that show times in the venue's zone."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Blueprint, Response, render_template, request
from flask_jwt_extended import get_jwt, get_jwt_identity

from photoslot import clock
from photoslot.blueprints.admin_ui.reasons import explain
from photoslot.blueprints.guards import current_permissions
from photoslot.config import current_config


def is_htmx() -> bool:
    """True for a request htmx made (it wants a partial, and redirects through HX-Redirect)."""
    return request.headers.get("HX-Request") == "true"


def page(template: str, partial: str | None = None, status: int = 200,
         **context: Any) -> Response:
    """Render the full ``template``, or ``partial`` (which the page includes) for htmx."""
    chosen = partial if partial and is_htmx() else template
    response = Response(render_template(chosen, **context), status=status)
    response.vary.add("HX-Request")
    return response


def _signed_in() -> dict[str, Any]:
    """The layout's view of the signed-in admin (nothing on the sign-in page)."""
    try:
        claims = get_jwt()
    except RuntimeError:  # no token was verified on this request (sign-in, error pages)
        return {"admin_name": None, "permissions": frozenset(), "csrf_token": None}
    return {"admin_name": get_jwt_identity(), "permissions": current_permissions(),
            "csrf_token": claims.get("csrf")}


def local_time(value: datetime | str | None) -> datetime | None:
    """An aware datetime (or ISO string from a service view) in the venue's zone."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.astimezone(current_config().timezone)


def format_time(value: datetime | str | None, with_date: bool = True) -> str:
    """``24.11.2025 14:02 MSK``; only ``14:02 MSK`` when it is today (or ``with_date`` is off)."""
    moment = local_time(value)
    if moment is None:
        return "—"
    today = local_time(clock.now())
    if not with_date or (today and moment.date() == today.date()):
        return moment.strftime("%H:%M %Z")
    return moment.strftime("%d.%m.%Y %H:%M %Z")


def format_duration(seconds: float) -> str:
    """A span as ``2 д 3 ч``, ``5 ч 12 мин``, ``7 мин`` or ``40 с`` (abbreviations need no
    plural forms)."""
    seconds = int(seconds)
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days} д {hours} ч"
    if hours:
        return f"{hours} ч {minutes} мин"
    if minutes:
        return f"{minutes} мин"
    return f"{secs} с"


def format_percent(share: float | None, digits: int = 1) -> str:
    """A share (0.0512) as ``5,1 %`` — Russian decimal comma; ``—`` without a value."""
    if share is None:
        return "—"
    return f"{share * 100:.{digits}f}".replace(".", ",") + "\u00a0%"


def format_ms(value: float | None) -> str:
    """A duration in milliseconds as ``850 мс`` or ``12,4 с``; ``—`` without a value."""
    if value is None:
        return "—"
    if value < 1000:
        return f"{value:.0f}\u00a0мс"
    return f"{value / 1000:.1f}".replace(".", ",") + "\u00a0с"


def format_bytes(value: int | None) -> str:
    """A size as ``512 Б``, ``3,4 МБ``, ``1,2 ГБ`` (binary units, Russian abbreviations)."""
    if value is None:
        return "—"
    size = float(value)
    for unit in ("Б", "КБ", "МБ", "ГБ"):
        if size < 1024 or unit == "ГБ":
            text = f"{size:.0f}" if unit == "Б" else f"{size:.1f}".replace(".", ",")
            return f"{text}\u00a0{unit}"
        size /= 1024
    raise AssertionError("unreachable")


def seconds_until(value: datetime | str | None) -> float | None:
    """Seconds from now until ``value`` (negative once it has passed)."""
    moment = local_time(value)
    return None if moment is None else (moment - clock.now()).total_seconds()


def register(bp: Blueprint) -> None:
    """Install the layout's context and the time filters for the UI's templates."""
    @bp.context_processor  # only for the UI's own views (and their error pages)
    def layout_context() -> dict[str, Any]:
        return {**_signed_in(), "now": clock.now(),
                "timezone_name": current_config().timezone.key}

    bp.add_app_template_filter(format_time, "localtime")
    bp.add_app_template_filter(format_duration, "duration")
    bp.add_app_template_filter(seconds_until, "seconds_until")
    bp.add_app_template_filter(local_time, "in_venue_zone")
    bp.add_app_template_filter(explain, "explain")
    bp.add_app_template_filter(format_percent, "percent")
    bp.add_app_template_filter(format_ms, "ms")
    bp.add_app_template_filter(format_bytes, "bytes")
