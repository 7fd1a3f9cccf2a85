"""Count ingests refused before a job existed, per minute, slot, provider and error code.

Rows are per-minute counters (an upsert), so a flood of bad requests adds at most one row per
minute and key. The write uses its own short transaction on a fresh connection: whatever the
refused request left in the session does not matter, and a failing write is logged, never
raised — the booth's answer is already decided.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError

from photoslot.extensions import db
from photoslot.log import log_event
from photoslot.models import SLOT_IDS, IngestRejection
from photoslot.models.rejection import UNKNOWN_KEY

log = logging.getLogger(__name__)
_KEY = ("minute", "slot_id", "provider", "code")


def record_rejection(slot_id: str, provider: str | None, code: str, at: datetime) -> None:
    """Add one refused ingest at ``at`` (a slot id the gateway does not know counts as unknown)."""
    values = {
        "minute": at.replace(second=0, microsecond=0),
        "slot_id": slot_id if slot_id in SLOT_IDS else UNKNOWN_KEY,
        "provider": provider or UNKNOWN_KEY,
        "code": code[:64],
        "count": 1,
    }
    dialect = postgresql if db.engine.dialect.name == "postgresql" else sqlite
    statement = dialect.insert(IngestRejection).values(**values).on_conflict_do_update(
        index_elements=list(_KEY), set_={"count": IngestRejection.__table__.c.count + 1})
    try:
        with db.engine.begin() as connection:
            connection.execute(statement)
    except SQLAlchemyError as exc:
        log_event(log, "rejection_not_recorded", logging.WARNING, code=code,
                  error=type(exc).__name__)
