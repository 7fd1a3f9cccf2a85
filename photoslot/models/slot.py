"""Slots: the 15 ingest endpoints and their provider configuration."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from photoslot import clock
from photoslot.models.base import Base, JSONType, UTCDateTime

if TYPE_CHECKING:
    from photoslot.models.media import MediaObject

SLOT_IDS = tuple(f"slot-{n:03d}" for n in range(1, 16))


class Slot(Base):
    __tablename__ = "slot"

    id: Mapped[str] = mapped_column(String(16), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    enabled: Mapped[bool] = mapped_column(default=False)
    provider: Mapped[str] = mapped_column(String(32))
    operation: Mapped[str] = mapped_column(String(64))
    params: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    updated_by: Mapped[str] = mapped_column(String(64), default="system")

    template_links: Mapped[list[SlotTemplateMedia]] = relationship(
        order_by="SlotTemplateMedia.position", cascade="all, delete-orphan"
    )

    __mapper_args__ = {"version_id_col": version}


class SlotTemplateMedia(Base):
    """A template image bound to a slot, in the order the provider receives them."""

    __tablename__ = "slot_template_media"

    slot_id: Mapped[str] = mapped_column(
        ForeignKey("slot.id", ondelete="CASCADE"), primary_key=True
    )
    media_id: Mapped[str] = mapped_column(ForeignKey("media_object.id"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, default=0)

    media: Mapped[MediaObject] = relationship()
