"""Admin JSON API: slots, providers, template media, maintenance."""

from __future__ import annotations

from flask import Blueprint, jsonify
from flask.typing import ResponseReturnValue

from photoslot.auth import require_permission
from photoslot.services import slot_views

bp = Blueprint("admin", __name__)


@bp.get("/providers")
@require_permission()
def list_providers() -> ResponseReturnValue:
    """Providers with their operations and each operation's params schema."""
    return jsonify({"providers": slot_views.describe_providers()})


@bp.get("/slots")
@require_permission()
def list_slots() -> ResponseReturnValue:
    """All 15 slots with ingest URLs and recent activity."""
    return jsonify({"slots": slot_views.list_slots()})


@bp.get("/slots/<slot_id>")
@require_permission()
def get_slot(slot_id: str) -> ResponseReturnValue:
    """One slot's full configuration; ETag carries its version."""
    return _slot_response(slot_views.get_slot_detail(slot_id))


def _slot_response(detail: dict) -> ResponseReturnValue:
    response = jsonify(detail)
    response.set_etag(str(detail["version"]))
    return response
