"""The change journal: the audit records of GET /api/audit, newest first, a page at a time,
filtered by entity, actor and the venue's dates; each change as a before/after table.

Values are shown as the journal stored them: secrets were masked (``***``) when the change was
recorded (services.audit.diff), so the page shows exactly what the API returns.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from flask import Blueprint, request
from flask.typing import ResponseReturnValue

from photoslot.blueprints.admin_ui.rendering import page
from photoslot.blueprints.guards import require_permission
from photoslot.config import current_config
from photoslot.services import audit

bp = Blueprint("journal", __name__)

PAGE_SIZE = 25


@dataclass(frozen=True)
class DiffRow:
    """One field of a change: its dotted path, the value before and after, whether it changed."""

    field: str
    before: Any
    after: Any
    changed: bool


@bp.get("/journal")
@require_permission()
def show() -> ResponseReturnValue:
    """One page of the journal under the filters in the query string."""
    args = request.args
    filters = {name: args.get(name, "").strip() for name in
               ("entity", "entity_id", "actor", "date_from", "date_to")}
    errors = {}
    bounds: dict[str, datetime | None] = {}
    for name, key, next_day in (("date_from", "since", False), ("date_to", "until", True)):
        try:
            bounds[key] = _day_start(filters[name], next_day)
        except ValueError:
            errors[name] = filters[name]
            bounds[key] = None
    before = args.get("before", "")
    journal = audit.query(entity=filters["entity"] or None,
                          entity_id=filters["entity_id"] or None,
                          actor=filters["actor"] or None, limit=PAGE_SIZE,
                          before=int(before) if before.isdigit() else None, **bounds)
    entries = [{**item, "rows": diff_rows(item["changes"])} for item in journal.items]
    return page("admin/journal.html", entries=entries, next_before=journal.next_before,
                filters=filters, errors=errors, choices=audit.filter_values(),
                filters_args={name: value for name, value in filters.items() if value},
                first_page=not before.isdigit(), secret_mask=audit.SECRET_MASK)


def _day_start(value: str, next_day: bool) -> datetime | None:
    """The start of the venue's day ``value`` (YYYY-MM-DD) — of the day after, for an end."""
    if not value:
        return None
    day = date.fromisoformat(value) + timedelta(days=1 if next_day else 0)
    return datetime.combine(day, time(), tzinfo=current_config().timezone)


def diff_rows(changes: dict[str, Any]) -> list[DiffRow]:
    """``{field: [before, after]}`` as rows; a dict on either side is opened into its keys
    (``params.prompt``), so a changed param stands out from the ones left alone. A field is in
    the journal because it changed — even when both sides read ``***`` (a masked secret)."""
    rows: list[DiffRow] = []
    for field, pair in changes.items():
        before, after = pair if isinstance(pair, list) and len(pair) == 2 else (None, pair)
        rows.extend(_rows(field, before, after, top=True))
    return rows


def _rows(path: str, before: Any, after: Any, top: bool = False) -> list[DiffRow]:
    opened = (isinstance(before, dict) or isinstance(after, dict)) and all(
        isinstance(side, dict | None) for side in (before, after))
    if not opened:
        return [DiffRow(path, before, after, top or before != after)]
    old, new = before or {}, after or {}
    nested = [row for key in sorted(set(old) | set(new), key=str)
              for row in _rows(f"{path}.{key}", old.get(key), new.get(key))]
    return nested or [DiffRow(path, before, after, True)]
