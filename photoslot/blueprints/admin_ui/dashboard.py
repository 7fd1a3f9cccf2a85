"""The dashboard: the 15 slots as live cards (htmx polls the card grid) with a quick on/off."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, request
from flask.typing import ResponseReturnValue

from photoslot.blueprints.admin_ui.forms import form_version
from photoslot.blueprints.admin_ui.rendering import page
from photoslot.blueprints.guards import current_actor, require_permission
from photoslot.errors import ApiError
from photoslot.services.slots import configure
from photoslot.services.slots.board import slot_board

bp = Blueprint("dashboard", __name__)


@bp.get("/")
@require_permission()
def index() -> ResponseReturnValue:
    """All slots as cards; htmx's poll gets the card grid alone."""
    return page("admin/dashboard.html", "admin/_slot_cards.html", slots=slot_board())


@bp.post("/slots/<slot_id>/toggle")
@require_permission("slots:write")
def toggle(slot_id: str) -> ResponseReturnValue:
    """Switch a slot on or off, with the version its card showed (409 if it changed since)."""
    wanted = request.form.get("enabled") == "true"
    outcome: dict[str, Any] = {"toggled_to": wanted}
    status = 200
    try:
        configure.update_slot(slot_id, {"enabled": wanted}, current_actor(),
                              expected_version=form_version())
    except ApiError as exc:
        if exc.status not in (409, 422):
            raise
        status, outcome["error"] = exc.status, {"code": exc.code, "details": exc.details}
    board = slot_board()
    card = next(view for view in board if view["id"] == slot_id)
    return page("admin/dashboard.html", "admin/_slot_card_answer.html", status=status,
                slots=board, slot=card, outcome=outcome)
