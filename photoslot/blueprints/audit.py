"""The audit journal, newest first."""

from __future__ import annotations

from flask import Blueprint, jsonify, request
from flask.typing import ResponseReturnValue

from photoslot.blueprints.guards import require_permission
from photoslot.errors import ApiError
from photoslot.services import audit

bp = Blueprint("audit", __name__)


@bp.get("/audit")
@require_permission()
def get_audit() -> ResponseReturnValue:
    """The audit journal, newest first, filtered by entity, entity_id and actor."""
    page = audit.query(
        entity=request.args.get("entity") or None,
        entity_id=request.args.get("entity_id") or None,
        actor=request.args.get("actor") or None,
        limit=_int_arg("limit", audit.DEFAULT_PAGE, 1, audit.MAX_PAGE),
        before=_int_arg("before", None, 1, 2**63 - 1),
    )
    return jsonify(items=page.items, next_before=page.next_before)


def _int_arg(name: str, default: int | None, low: int, high: int) -> int | None:
    raw = request.args.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        value = low - 1
    if not low <= value <= high:
        raise ApiError(422, "validation_error", f"'{name}' is out of range",
                       {"fields": {name: f"must be an integer from {low} to {high}"}})
    return value
