"""Job history: one row per ingest, written before any provider work."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from photoslot import clock
from photoslot.models.base import Base, JSONType, UTCDateTime, new_uuid

JOB_STATUSES = ("pending", "done", "timeout", "error")


class JobHistory(Base):
    __tablename__ = "job_history"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_uuid)
    slot_id: Mapped[str] = mapped_column(ForeignKey("slot.id"))
    provider: Mapped[str] = mapped_column(String(32))
    operation: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    error_code: Mapped[str | None] = mapped_column(String(64))
    error_message: Mapped[str | None] = mapped_column(Text)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now, index=True)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    provider_ms: Mapped[int | None] = mapped_column(Integer)
    total_ms: Mapped[int | None] = mapped_column(Integer)
    input_bytes: Mapped[int | None] = mapped_column(Integer)
    is_test: Mapped[bool] = mapped_column(default=False)
    client_meta: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)

    __table_args__ = (Index("ix_job_history_slot_id_started_at", "slot_id", "started_at"),)
