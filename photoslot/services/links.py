"""Absolute public links and the timestamp format used in admin API responses."""

from __future__ import annotations

from datetime import datetime

from photoslot.config import current_config


def public_url(path: str) -> str:
    """``path`` (starting with ``/``) made absolute with PHOTOSLOT_PUBLIC_BASE_URL."""
    return f"{current_config().public_base_url}{path}"


def ingest_url(slot_id: str) -> str:
    """Where a booth posts photos for ``slot_id``."""
    return public_url(f"/api/ingest/{slot_id}")


def media_url(token: str) -> str:
    """The public link of a media object (inputs and templates), served by token."""
    return public_url(f"/public/media/{token}")


def thumbnail_url(token: str) -> str:
    """The public link of a thumbnail, served by its own token."""
    return public_url(f"/public/thumbnails/{token}")


def result_url(job_id: str) -> str:
    """The public link of a job's result."""
    return public_url(f"/public/results/{job_id}")


def iso(value: datetime | None) -> str | None:
    """An aware datetime as ISO 8601 (``None`` stays ``None``)."""
    return None if value is None else value.isoformat()
