"""Template images on the slot page: upload (and bind), bind an uploaded one, unbind.

Binding changes the slot's version. When the form on the page was at the version just before
this change, the answer moves the form to the new version too (out of band), so the admin's own
binding does not look like someone else's change on the next save.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, request
from flask.typing import ResponseReturnValue

from photoslot.blueprints.admin_ui.page_parts import slot_page_parts, templates_part
from photoslot.blueprints.admin_ui.rendering import is_htmx, page
from photoslot.blueprints.admin_ui.slots import config_form
from photoslot.blueprints.guards import current_actor, current_permissions, require_permission
from photoslot.errors import ApiError
from photoslot.models import Slot
from photoslot.services.slots import templates
from photoslot.services.slots import views as slot_views

bp = Blueprint("media", __name__)


@bp.post("/slots/<slot_id>/templates")
@require_permission("media:write")
def upload(slot_id: str) -> ResponseReturnValue:
    """Store the uploaded image as a template and bind it to the slot."""
    if "slots:write" not in current_permissions():
        raise ApiError(403, "forbidden", "binding a template needs 'slots:write'",
                       {"required": "slots:write"})
    file = request.files.get("file")
    if file is None or not file.filename:
        return _failed(slot_id, ApiError(422, "missing_file", "choose an image file first"))
    return _changed(lambda: templates.upload_template_to_slot(slot_id, file.stream,
                                                             current_actor()), slot_id)


@bp.post("/slots/<slot_id>/templates/<media_id>/bind")
@require_permission("slots:write")
def bind(slot_id: str, media_id: str) -> ResponseReturnValue:
    """Append an uploaded template to the slot's list."""
    return _changed(lambda: templates.bind_template(slot_id, media_id, current_actor()), slot_id)


@bp.post("/slots/<slot_id>/templates/<media_id>/unbind")
@require_permission("slots:write")
def unbind(slot_id: str, media_id: str) -> ResponseReturnValue:
    """Remove a template from the slot's list (the image stays uploaded)."""
    return _changed(lambda: templates.unbind_template(slot_id, media_id, current_actor()),
                    slot_id)


def _changed(change: Any, slot_id: str) -> Response:
    try:
        slot: Slot = change()
    except ApiError as exc:
        if exc.code == "slot_not_found":
            raise
        return _failed(slot_id, exc)
    detail = slot_views.slot_detail(slot)
    own = request.form.get("version", "").isdigit() and int(request.form["version"]) + 1 == (
        detail["version"])
    return _section(detail, form=config_form(detail) if own else None)


def _failed(slot_id: str, exc: ApiError) -> Response:
    """The section again with the reason (422, so htmx swaps it in place)."""
    error = {"code": exc.code, "message": exc.message, "details": exc.details}
    return _section(slot_views.get_slot_detail(slot_id), error=error, status=422)


def _section(detail: dict[str, Any], form: dict[str, Any] | None = None,
             error: dict[str, Any] | None = None, status: int = 200) -> Response:
    if is_htmx():
        return page("admin/slot.html", "admin/_templates_answer.html", status=status,
                    slot=detail, templates=templates_part(detail, error), form=form)
    return page("admin/slot.html", status=status, slot=detail, form=form or config_form(detail),
                **slot_page_parts(detail, templates_error=error))
