"""Ingests refused before a job existed (4xx), counted per minute: the ``rejected`` figure of
the statistics (job_history holds only accepted photos)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from photoslot.models.base import Base, UTCDateTime

#: Stored for a slot id or provider the gateway does not know (keys cannot be NULL).
UNKNOWN_KEY = ""


class IngestRejection(Base):
    __tablename__ = "ingest_rejection"

    minute: Mapped[datetime] = mapped_column(UTCDateTime, primary_key=True)
    slot_id: Mapped[str] = mapped_column(String(16), primary_key=True)
    provider: Mapped[str] = mapped_column(String(32), primary_key=True)
    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    count: Mapped[int] = mapped_column(Integer, default=0)
