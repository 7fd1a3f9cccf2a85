"""Slot configuration: seeding and (in later work) validated updates."""

from __future__ import annotations

from sqlalchemy import select

from photoslot.extensions import db
from photoslot.models import SLOT_IDS, Slot

DEFAULT_PROVIDER = "local"
DEFAULT_OPERATION = "grayscale"


def seed_slots() -> list[str]:
    """Create any of the 15 slots that are missing (disabled, local provider); return new ids."""
    existing = set(db.session.scalars(select(Slot.id)))
    created = [slot_id for slot_id in SLOT_IDS if slot_id not in existing]
    for slot_id in created:
        db.session.add(
            Slot(
                id=slot_id,
                name=f"Slot {slot_id[-3:]}",
                enabled=False,
                provider=DEFAULT_PROVIDER,
                operation=DEFAULT_OPERATION,
                params={},
            )
        )
    db.session.commit()
    return created
