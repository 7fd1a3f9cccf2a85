"""The slot page: its configuration form (params generated from the operation's JSON Schema),
saved through the same ``update_slot`` as PUT /api/slots/{id}, with its 422 and 409 answers."""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, Response, render_template, request
from flask.typing import ResponseReturnValue

from photoslot.blueprints.admin_ui import page_parts
from photoslot.blueprints.admin_ui.forms import (
    flat_config,
    form_version,
    merge_input,
    param_fields,
    parse_params,
    place_errors,
    posted_raw,
    unflat_config,
)
from photoslot.blueprints.admin_ui.rendering import is_htmx, page
from photoslot.blueprints.guards import current_actor, require_permission
from photoslot.errors import ApiError
from photoslot.services import audit
from photoslot.services.slots import configure
from photoslot.services.slots import views as slot_views

bp = Blueprint("slots", __name__)


@bp.get("/slots/<slot_id>")
@require_permission()
def show(slot_id: str) -> ResponseReturnValue:
    """The slot page: configuration, templates, test run, booth setup, recent results."""
    detail = slot_views.get_slot_detail(slot_id)
    return _answer(detail, config_form(detail))


@bp.get("/slots/<slot_id>/params")
@require_permission()
def params(slot_id: str) -> ResponseReturnValue:
    """The operation select and params fields for the provider/operation just chosen (htmx)."""
    detail = slot_views.get_slot_detail(slot_id)
    form = config_form(detail, provider=request.args.get("provider"),
                       operation=request.args.get("operation"))
    return render_template("admin/_provider_fields.html", form=form, slot=detail)


@bp.post("/slots/<slot_id>")
@require_permission("slots:write")
def save(slot_id: str) -> ResponseReturnValue:
    """Save the posted configuration with the version it was rendered with."""
    version = form_version()
    detail = slot_views.get_slot_detail(slot_id)
    provider, operation = request.form.get("provider"), request.form.get("operation")
    schema = _schema(provider, operation)
    same_operation = (provider, operation) == (detail["provider"], detail["operation"])
    changes = {
        "name": request.form.get("name", "").strip(),
        "enabled": request.form.get("enabled") == "true",
        "provider": provider,
        "operation": operation,
        "params": parse_params(schema, detail["params"] if same_operation else {}),
    }
    posted = {"provider": provider, "operation": operation, "raw": posted_raw(),
              "name": changes["name"], "enabled": changes["enabled"]}
    if request.form.get("intent") == "refresh":  # without JS: show the chosen operation's fields
        return _answer(detail, config_form(detail, version=version, **posted))
    try:
        slot = configure.update_slot(slot_id, changes, current_actor(), expected_version=version)
    except ApiError as exc:
        if exc.code == "version_conflict":
            return _conflict(detail, exc.details, changes)
        if exc.status == 422 and "fields" in exc.details:
            errors = place_errors(exc.details["fields"])
            form = config_form(detail, version=version, errors=errors, **posted)
            return _answer(detail, form, status=422)
        raise
    detail = slot_views.slot_detail(slot)
    return _answer(detail, config_form(detail, saved=True))


def config_form(detail: dict[str, Any], provider: str | None = None,
                operation: str | None = None, values: dict[str, Any] | None = None,
                raw: dict[str, str] | None = None, errors: dict[str, str] | None = None,
                version: int | None = None, **shown: Any) -> dict[str, Any]:
    """What ``_slot_form.html`` shows: the saved slot, or another provider/operation with its
    params ``values`` (or the ``raw`` strings just posted, with the service's ``errors`` beside
    their fields); ``shown`` may set ``name``, ``enabled``, ``saved`` and ``conflict``."""
    providers = slot_views.describe_providers()
    chosen = next((p for p in providers if p["name"] == provider), None) or next(
        (p for p in providers if p["name"] == detail["provider"]), providers[0])
    wanted = operation if operation is not None else detail["operation"]
    op = next((o for o in chosen["operations"] if o["name"] == wanted), chosen["operations"][0])
    if values is None:
        same = (chosen["name"], op["name"]) == (detail["provider"], detail["operation"])
        values = detail["params"] if same else {}
    errors = errors or {}
    return {
        "version": version or detail["version"],
        "loaded": json.dumps(_loaded(detail), ensure_ascii=False),
        "name": shown.get("name", detail["name"]),
        "enabled": shown.get("enabled", detail["enabled"]),
        "providers": providers,
        "provider": chosen,
        "operation": op,
        "fields": param_fields(op["params_schema"], values, raw, errors),
        "errors": {path: reason for path, reason in errors.items()
                   if not path.startswith("params.")},
        "saved": shown.get("saved", False),
        "conflict": shown.get("conflict"),
    }


def _loaded(detail: dict[str, Any]) -> dict[str, Any]:
    """The configuration the form starts from (kept in the form to explain a later 409)."""
    config = {key: detail[key] for key in ("name", "enabled", "provider", "operation", "params")}
    templates = (detail["template_media_ids"] if "template_media_ids" in detail
                 else [t["id"] for t in detail["template_media"]])
    return {**config, "template_media_ids": templates}


def _schema(provider: str | None, operation: str | None) -> dict[str, Any]:
    for described in slot_views.describe_providers():
        if described["name"] == provider:
            for op in described["operations"]:
                if op["name"] == operation:
                    return op["params_schema"]
    return {}


def _conflict(detail: dict[str, Any], details: dict[str, Any],
              changes: dict[str, Any]) -> Response:
    """409: what the other admin changed since the form was loaded, beside the admin's input.
    The form comes back at the current version with both: the other admin's changes taken, the
    admin's own changes kept (forms.merge_input); saving again applies it, reloading drops it."""
    current = details["current"]
    try:
        loaded = json.loads(request.form.get("loaded") or "{}")
    except ValueError:
        loaded = {}
    editable = configure.EDITABLE_FIELDS
    before = flat_config({k: v for k, v in loaded.items() if k in editable})
    now = flat_config({k: v for k, v in current.items() if k in editable})
    mine = flat_config({**changes, "template_media_ids": before.get("template_media_ids")})
    merged = merge_input(before, now, mine)
    theirs, yours = audit.diff(before, now), audit.diff(before, mine)
    rows = [{"field": key, "loaded": before.get(key), "current": now.get(key),
             "mine": mine.get(key), "theirs": key in theirs, "yours": key in yours}
            for key in sorted(set(theirs) | set(yours), key=_field_order)]
    fresh = {**detail, **current}
    result = unflat_config(merged)
    form = config_form(fresh, provider=result.get("provider"), operation=result.get("operation"),
                       values=result["params"], version=details["current_version"],
                       name=result.get("name", ""), enabled=result.get("enabled", False),
                       conflict={"current": current, "rows": rows})
    return _answer(fresh, form, status=409)


def _field_order(key: str) -> tuple[int, str]:
    order = ("name", "enabled", "provider", "operation", "template_media_ids")
    return (order.index(key), "") if key in order else (len(order), key)


def _answer(detail: dict[str, Any], form: dict[str, Any], status: int = 200) -> Response:
    """The form alone for htmx, else the whole slot page around it."""
    if is_htmx():
        return page("admin/slot.html", "admin/_slot_form_answer.html", status=status,
                    slot=detail, form=form)
    return page("admin/slot.html", status=status, slot=detail, form=form,
                **page_parts.slot_page_parts(detail))
