"""The sections of the slot page besides its form: templates, booth setup, recent results —
each rendered whole on the page and alone when htmx refreshes it."""

from __future__ import annotations

import math
from typing import Any

from photoslot.config import current_config
from photoslot.services import settings
from photoslot.services.slots import views as slot_views
from photoslot.services.slots.configure import MAX_TEMPLATES_PER_SLOT
from photoslot.services.slots.templates import list_templates

#: How much longer than T_sync the booth should wait, so the gateway's own 504 arrives first.
BOOTH_TIMEOUT_MARGIN_S = 5


def slot_page_parts(detail: dict[str, Any], trial: dict[str, Any] | None = None,
                    templates_error: dict[str, Any] | None = None) -> dict[str, Any]:
    """Everything ``slot.html`` shows around the configuration form."""
    return {
        "templates": templates_part(detail, templates_error),
        "booth": booth_part(detail),
        "trial": trial,
    }


def templates_part(detail: dict[str, Any], error: dict[str, Any] | None = None) -> dict[str, Any]:
    """Bound templates, the other uploaded ones that can be bound, the per-slot limit."""
    bound_ids = {template["id"] for template in detail["template_media"]}
    operations = next((p["operations"] for p in slot_views.describe_providers()
                       if p["name"] == detail["provider"]), [])
    return {
        "bound": detail["template_media"],
        "library": [t for t in list_templates() if t["id"] not in bound_ids],
        "max": MAX_TEMPLATES_PER_SLOT,
        "full": len(bound_ids) >= MAX_TEMPLATES_PER_SLOT,
        "needs_template": any(op["name"] == detail["operation"] and op["needs_template"]
                              for op in operations),
        "max_upload_mb": current_config().max_upload_mb,
        "error": error,
    }


def booth_part(detail: dict[str, Any]) -> dict[str, Any]:
    """What the booth operator enters in DSLR Remote Pro (the password itself is never shown)."""
    t_sync = current_config().t_sync_response_s
    return {
        "ingest_url": detail["ingest_url"],
        "password_set": settings.settings_view()["ingest_password"]["set"],
        "t_sync_s": t_sync,
        "timeout_s": math.ceil(t_sync) + BOOTH_TIMEOUT_MARGIN_S,
    }
