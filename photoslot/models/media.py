"""Media objects: every file under the media root has exactly one row here."""

from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from photoslot import clock
from photoslot.models.base import Base, UTCDateTime, new_uuid

MEDIA_KINDS = ("input", "result", "template", "thumbnail")


def new_token() -> str:
    """An unguessable public token (192 bits)."""
    return secrets.token_urlsafe(24)


class MediaObject(Base):
    __tablename__ = "media_object"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_uuid)
    kind: Mapped[str] = mapped_column(String(16))
    path: Mapped[str] = mapped_column(String(255), unique=True)
    mime: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    width: Mapped[int | None] = mapped_column(Integer)
    height: Mapped[int | None] = mapped_column(Integer)
    token: Mapped[str] = mapped_column(String(64), unique=True, default=new_token)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    slot_id: Mapped[str | None] = mapped_column(ForeignKey("slot.id", ondelete="SET NULL"))
    job_id: Mapped[str | None] = mapped_column(
        ForeignKey("job_history.id", ondelete="SET NULL"), index=True
    )
    parent_id: Mapped[str | None] = mapped_column(
        ForeignKey("media_object.id", ondelete="CASCADE"), index=True
    )

    __table_args__ = (Index("ix_media_object_kind_created_at", "kind", "created_at"),)
