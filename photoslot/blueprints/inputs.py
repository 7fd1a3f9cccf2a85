"""What a request may carry before a view sees it (ADR 0013).

- JSON and other non-multipart bodies: at most ``MAX_JSON_BODY_BYTES`` (413); the upload limit
  (PHOTOSLOT_MAX_UPLOAD_MB) applies to multipart uploads only. A JSON body nested past what the
  parser can follow is a 400, not a crash.
- Path values: no NUL character and at most ``MAX_PATH_VALUE`` characters, else 404 (no id, token
  or slot is like that). Query values: the same rule with ``MAX_QUERY_VALUE``, else 400
  ``invalid_input``. JSON strings and keys: no NUL (``nul_fields``; 422 in ``json_object``).
  PostgreSQL refuses NUL in text, so none may reach it.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, request
from flask.wrappers import Request
from werkzeug.exceptions import BadRequest, NotFound

from photoslot.errors import ApiError

MAX_JSON_BODY_BYTES = 1024 * 1024
MAX_PATH_VALUE = 256
MAX_QUERY_VALUE = 2048
NUL = "\0"


class GuardedRequest(Request):
    """Flask's request with the JSON body cap and deep-nesting guard."""

    def __init__(self, environ: dict[str, Any], populate_request: bool = True,
                 shallow: bool = False):
        super().__init__(environ, populate_request, shallow)
        if self.mimetype != "multipart/form-data":
            self.max_content_length = MAX_JSON_BODY_BYTES

    def get_json(self, force: bool = False, silent: bool = False, cache: bool = True) -> Any:
        """Flask's get_json; a body nested too deeply to parse is invalid JSON like any other."""
        try:
            return super().get_json(force=force, silent=silent, cache=cache)
        except RecursionError:
            if silent:
                return None
            raise BadRequest("the JSON body is nested too deeply") from None


def register_input_guards(app: Flask) -> None:
    """Use the guarded request class and refuse NUL or over-long path and query values."""
    app.request_class = GuardedRequest
    app.before_request(refuse_unstorable_values)


def refuse_unstorable_values() -> None:
    """404 for a path value, 400 ``invalid_input`` for a query value with a NUL character or
    over its length limit."""
    for value in (request.view_args or {}).values():
        if isinstance(value, str) and (NUL in value or len(value) > MAX_PATH_VALUE):
            raise NotFound("no such resource")
    bad = {}
    for name, value in request.args.items(multi=True):
        if NUL in name or NUL in value:
            bad[_printable(name)] = "contains a NUL character"
        elif len(value) > MAX_QUERY_VALUE:
            bad[_printable(name)] = f"longer than {MAX_QUERY_VALUE} characters"
    if bad:
        raise ApiError(400, "invalid_input", "a query parameter cannot be used", {"fields": bad})


def nul_fields(value: Any) -> dict[str, str]:
    """{JSON path: reason} for every string or key in ``value`` that holds a NUL character
    (iterative: a deeply nested body cannot exhaust the stack)."""
    found: dict[str, str] = {}
    pending: list[tuple[str, Any]] = [("", value)]
    while pending:
        path, item = pending.pop()
        if isinstance(item, str) and NUL in item:
            found[path or "$"] = "contains a NUL character"
        elif isinstance(item, dict):
            for key, child in item.items():
                child_path = f"{path}.{_printable(key)}" if path else _printable(key)
                if NUL in key:
                    found[child_path] = "the key contains a NUL character"
                pending.append((child_path, child))
        elif isinstance(item, list):
            pending.extend((f"{path}.{i}" if path else str(i), child)
                           for i, child in enumerate(item))
    return found


def _printable(name: str) -> str:
    return name.replace(NUL, "\\0")[:100]
