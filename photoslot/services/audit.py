"""The audit journal: every change goes through ``record``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from photoslot.clock import iso
from photoslot.extensions import db
from photoslot.models import AuditLog

SECRET_MASK = "***"
#: Actor name of changes made by the system itself (seeding, cron, the CLI's slot commands).
SYSTEM_NAME = "system"
#: Actor name of requests made before anyone signed in (failed logins).
ANONYMOUS_NAME = "anonymous"


@dataclass(frozen=True)
class Actor:
    """Who makes a change: an admin's name (or ``system``, ``cli:<user>``, ``anonymous``), and,
    for a request, the client's address and the request id."""

    name: str
    remote_addr: str | None = None
    request_id: str | None = None


SYSTEM = Actor(SYSTEM_NAME)


def diff(
    before: dict[str, Any], after: dict[str, Any], secret_fields: frozenset[str] = frozenset()
) -> dict[str, list[Any]]:
    """``{field: [before, after]}`` for every field that changed, secret values masked."""
    changes: dict[str, list[Any]] = {}
    for field in sorted(set(before) | set(after)):
        old, new = before.get(field), after.get(field)
        if old != new:
            if field in secret_fields:
                old = None if old is None else SECRET_MASK
                new = None if new is None else SECRET_MASK
            changes[field] = [old, new]
    return changes


def record(
    action: str,
    entity: str,
    entity_id: str | None,
    changes: dict[str, Any] | None,
    actor: Actor,
) -> AuditLog:
    """Add an audit row by ``actor`` to the session; the calling service commits it with its
    change."""
    entry = AuditLog(
        actor=actor.name,
        action=action,
        entity=entity,
        entity_id=entity_id,
        changes=changes or {},
        remote_addr=actor.remote_addr,
        request_id=actor.request_id,
    )
    db.session.add(entry)
    return entry


DEFAULT_PAGE = 50
MAX_PAGE = 200


@dataclass(frozen=True)
class AuditPage:
    """One page of the journal, newest first; ``next_before`` continues it (None at the end)."""

    items: list[dict[str, Any]]
    next_before: int | None


def query(
    entity: str | None = None,
    entity_id: str | None = None,
    actor: str | None = None,
    limit: int = DEFAULT_PAGE,
    before: int | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> AuditPage:
    """Rows matching the filters, newest first, ids below ``before`` (the previous page's end),
    recorded at or after ``since`` and before ``until``."""
    stmt = select(AuditLog).order_by(AuditLog.id.desc()).limit(limit + 1)
    if since is not None:
        stmt = stmt.where(AuditLog.at >= since)
    if until is not None:
        stmt = stmt.where(AuditLog.at < until)
    for column, value in (
        (AuditLog.entity, entity),
        (AuditLog.entity_id, entity_id),
        (AuditLog.actor, actor),
    ):
        if value is not None:
            stmt = stmt.where(column == value)
    if before is not None:
        stmt = stmt.where(AuditLog.id < before)
    rows = list(db.session.scalars(stmt))
    page = rows[:limit]
    more = len(rows) > limit
    return AuditPage([_as_dict(row) for row in page], page[-1].id if more else None)


def filter_values() -> dict[str, list[str]]:
    """The entities and actors the journal holds, sorted (the choices of its filters)."""
    return {name: sorted(value for value in db.session.scalars(select(column).distinct()) if value)
            for name, column in (("entities", AuditLog.entity), ("actors", AuditLog.actor))}


def _as_dict(row: AuditLog) -> dict[str, Any]:
    return {
        "id": row.id,
        "at": iso(row.at),
        "actor": row.actor,
        "action": row.action,
        "entity": row.entity,
        "entity_id": row.entity_id,
        "changes": row.changes,
        "remote_addr": row.remote_addr,
        "request_id": row.request_id,
    }
