"""The admin web UI under /admin: server-rendered Jinja pages in Russian with HTMX partials.

Thin like the JSON API (adr/0009-admin-ui.md): a view parses the form, calls the same service as
the API and renders a template; a request with ``HX-Request`` gets the partial the page itself
includes. Sign-in uses the API's cookie JWT and double-submit CSRF token.
"""

from __future__ import annotations

from flask import Blueprint, Response

from photoslot.blueprints.admin_ui import (
    auth,
    dashboard,
    errors,
    journal,
    media,
    rendering,
    settings,
    slots,
    stats,
    storage,
    trial,
)

bp = Blueprint("admin_ui", __name__)
for child in (auth.bp, dashboard.bp, slots.bp, media.bp, trial.bp, stats.bp, storage.bp,
              journal.bp, settings.bp):
    bp.register_blueprint(child)
errors.register(bp)
rendering.register(bp)


@bp.after_request
def private_pages(response: Response) -> Response:
    """Admin pages show live, private data: never cached, never framed."""
    response.headers.setdefault("Cache-Control", "no-store")
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Referrer-Policy"] = "same-origin"
    return response
