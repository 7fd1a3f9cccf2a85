"""Forms of the admin UI: the posted form turned into the values the services take, and the
params form described from the operation's JSON Schema (one widget kind per schema type).

Nothing here decides what is valid: values are only converted (a number that does not parse is
passed on as typed, so the service's schema check reports it beside its field).
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from typing import Any

from flask import request

from photoslot.errors import ApiError

#: String params edited as multi-line text: the prompts.
_PROMPT = re.compile(r"(^|_)(prompt|content)$")


@dataclass(frozen=True)
class Field:
    """One param of an operation as the form shows it."""

    name: str
    path: str  # the form field's name and the key of its error: ``params.<name>``
    kind: str  # text | textarea | number | integer | select | checkbox | json
    schema: dict[str, Any]
    required: bool
    value: Any  # str for inputs, bool for a checkbox
    error: str | None = None
    options: tuple[tuple[str, str], ...] = ()  # a select's (JSON-encoded value, label)


def form_version() -> int:
    """The slot version the posted form was rendered with; 422 when it is missing."""
    raw = request.form.get("version", "")
    if not raw.isdigit():
        raise ApiError(422, "validation_error", "the form has no slot version",
                       {"fields": {"version": "missing; reload the page"}})
    return int(raw)


def widget(name: str, schema: dict[str, Any]) -> str:
    """The widget kind of one JSON Schema property."""
    if "enum" in schema:
        return "select"
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), None)
    if kind == "string":
        return "textarea" if _PROMPT.search(name) else "text"
    if kind in ("boolean", "integer", "number"):
        return {"boolean": "checkbox"}.get(kind, kind)
    return "json"


def param_fields(schema: dict[str, Any], values: dict[str, Any],
                 raw: dict[str, str] | None = None,
                 errors: dict[str, str] | None = None) -> list[Field]:
    """The params form of ``schema``: saved ``values``, or the ``raw`` strings just posted."""
    required = set(schema.get("required", []))
    fields = []
    for name, prop in (schema.get("properties") or {}).items():
        path, kind = f"params.{name}", widget(name, prop)
        if kind == "checkbox":
            shown: Any = (raw.get(path) == "true") if raw is not None else bool(
                values.get(name, prop.get("default", False)))
        elif raw is not None:
            shown = raw.get(path, "")
        elif name in values:
            shown = _as_text(values[name], kind)
        elif kind == "select" and "default" in prop:
            shown = _as_text(prop["default"], kind)
        else:
            shown = ""
        options = tuple((_as_text(option, "select"), str(option))
                        for option in prop.get("enum", ()))
        fields.append(Field(name, path, kind, prop, name in required, shown,
                            (errors or {}).get(path), options))
    return fields


def _as_text(value: Any, kind: str) -> str:
    if kind in ("json", "select"):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def parse_params(schema: dict[str, Any], previous: dict[str, Any]) -> dict[str, Any]:
    """The posted ``params.*`` fields as typed values. An empty field is left out (its default
    applies), and so is a value equal to its default that was not set before, so saving an
    untouched form changes nothing."""
    params: dict[str, Any] = {}
    for name, prop in (schema.get("properties") or {}).items():
        path, kind = f"params.{name}", widget(name, prop)
        if kind == "checkbox":
            value: Any = request.form.get(path) == "true"
        else:
            typed = request.form.get(path, "")
            if typed.strip() == "":
                continue
            value = _convert(kind, typed)
        if name not in previous and value == prop.get("default", object()):
            continue
        params[name] = value
    return params


def _convert(kind: str, typed: str) -> Any:
    """``typed`` as the kind's JSON value, or unchanged when it does not parse."""
    text = typed.strip()
    try:
        if kind == "integer":
            return int(text)
        if kind == "number":
            if re.fullmatch(r"-?\d+", text):
                return int(text)  # 1, not 1.0, as an API client would send it
            number = float(text.replace(",", "."))  # a decimal comma, as Russian keyboards type
            return number if math.isfinite(number) else typed
        if kind in ("json", "select"):  # a select's options are JSON-encoded enum values
            return json.loads(text)
    except ValueError:
        return typed
    return typed


def posted_raw() -> dict[str, str]:
    """The posted params fields as typed (to show them again beside their errors)."""
    return {key: value for key, value in request.form.items() if key.startswith("params.")}


def place_errors(fields: dict[str, str]) -> dict[str, str]:
    """Service errors keyed by form field: a missing required param is reported on ``params``
    by the schema check; the form shows it beside that param's own input."""
    placed: dict[str, str] = {}
    for path, reason in fields.items():
        missing = re.fullmatch(r"'([^']+)' is a required property", reason)
        placed[f"{path}.{missing.group(1)}" if path == "params" and missing else path] = reason
    return placed


def flat_config(config: dict[str, Any]) -> dict[str, Any]:
    """A slot configuration with each param as its own ``params.<name>`` key (for diffs)."""
    flat = {key: value for key, value in config.items() if key != "params"}
    flat.update({f"params.{k}": v for k, v in (config.get("params") or {}).items()})
    return flat


def unflat_config(flat: dict[str, Any]) -> dict[str, Any]:
    """The inverse of ``flat_config``."""
    config: dict[str, Any] = {k: v for k, v in flat.items() if not k.startswith("params.")}
    config["params"] = {k.removeprefix("params."): v for k, v in flat.items()
                        if k.startswith("params.")}
    return config


def merge_input(loaded: dict[str, Any], current: dict[str, Any],
                mine: dict[str, Any]) -> dict[str, Any]:
    """The admin's input on top of a configuration someone else saved meanwhile (flat dicts):
    a field the admin left as loaded takes the current value, a field the admin changed keeps
    the input. Params belong to an operation: merged one by one when both sides kept the same
    operation, else taken whole from the side whose operation wins."""

    def pick(key: str) -> Any:
        return current.get(key) if mine.get(key) == loaded.get(key) else mine.get(key)

    def params(config: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in config.items() if k.startswith("params.")}

    def operation(config: dict[str, Any]) -> tuple[Any, Any]:
        return config.get("provider"), config.get("operation")

    merged = {key: pick(key) for key in set(current) | set(mine) if not key.startswith("params.")}
    if operation(merged) == operation(mine) == operation(current):
        merged_params = {k: pick(k) for k in set(params(current)) | set(params(mine))}
    else:
        merged_params = params(mine if operation(merged) == operation(mine) else current)
    return {**merged, **{k: v for k, v in merged_params.items() if v is not None}}
