"""Runtime settings changed through the API (the ingest password hash)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from photoslot import clock
from photoslot.models.base import Base, UTCDateTime

INGEST_PASSWORD_HASH = "ingest_password_hash"


class Setting(Base):
    __tablename__ = "setting"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    updated_by: Mapped[str] = mapped_column(String(64))
