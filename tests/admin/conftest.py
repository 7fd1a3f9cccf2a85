"""Fixtures for the admin API: a test-only provider registry, images, job and result rows."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from PIL import Image

from photoslot import clock, providers
from photoslot.extensions import db
from photoslot.models import JobHistory, MediaObject
from photoslot.models.base import new_uuid
from photoslot.providers.base import Deadline, Provider, ProviderRequest, ProviderResult
from photoslot.services.media import store


class PaintDriver(Provider):
    """Test-only driver with one plain and one template operation; never called here."""

    name = "paint"
    operations = {
        "invert": {"type": "object", "properties": {}, "additionalProperties": False},
        "overlay": {
            "type": "object",
            "required": ["opacity"],
            "properties": {"opacity": {"type": "number", "minimum": 0, "maximum": 1}},
            "additionalProperties": False,
        },
    }
    needs_template = frozenset({"overlay"})

    def process(self, request: ProviderRequest, deadline: Deadline) -> ProviderResult:
        raise NotImplementedError


class KeylessDriver(PaintDriver):
    """A provider whose API key is missing."""

    name = "keyless"
    operations = {"edit": {"type": "object", "properties": {"prompt": {"type": "string"}}}}
    needs_template = frozenset()

    def is_configured(self) -> bool:
        return False


@pytest.fixture
def app(make_app: Callable[..., Flask], monkeypatch: pytest.MonkeyPatch) -> Flask:
    """The app with the test-only drivers registered; modules that need the real registry
    (local, gemini, turbotext) override this fixture."""
    monkeypatch.setattr(providers, "DRIVERS", {"paint": PaintDriver, "keyless": KeylessDriver})
    return make_app()


@pytest.fixture
def writer(auth_headers: Callable[..., dict[str, str]]) -> dict[str, str]:
    """Headers of an admin who may change slots (``slots:write``) and nothing else."""
    return auth_headers(permissions={"slots:write"})


def image_bytes(fmt: str = "PNG", size: tuple[int, int] = (40, 30), mode: str = "RGB") -> bytes:
    buffer = io.BytesIO()
    Image.new(mode, size, (200, 30, 30, 128) if mode == "RGBA" else "red").save(buffer, fmt)
    return buffer.getvalue()


@pytest.fixture
def add_job(app: Flask) -> Callable[..., str]:
    """Insert a job row directly; returns its id."""

    def add(slot_id: str, status: str = "done", started_at: datetime | None = None,
            is_test: bool = False) -> str:
        started = started_at or clock.now()
        with app.app_context():
            job = JobHistory(slot_id=slot_id, provider="paint", operation="invert", status=status,
                             started_at=started, is_test=is_test,
                             finished_at=None if status == "pending" else started)
            db.session.add(job)
            db.session.commit()
            return job.id

    return add


@pytest.fixture
def add_media(app: Flask) -> Callable[..., dict[str, Any]]:
    """Store a real image file and its media row; returns {id, token, path}."""

    def add(kind: str, slot_id: str | None = None, job_id: str | None = None,
            expires_at: datetime | None = None, size: tuple[int, int] = (64, 48),
            created_at: datetime | None = None) -> dict[str, Any]:
        data = image_bytes("PNG", size)
        with app.app_context():
            media_id = new_uuid()
            media = MediaObject(id=media_id, kind=kind, mime="image/png", size=len(data),
                                width=size[0], height=size[1], slot_id=slot_id, job_id=job_id,
                                expires_at=expires_at, created_at=created_at or clock.now(),
                                path=store.relative_path(kind, media_id, "image/png"))
            store.write_bytes(media.path, data)
            db.session.add(media)
            db.session.commit()
            return {"id": media.id, "token": media.token, "path": media.path}

    return add


@pytest.fixture
def add_result(add_job, add_media) -> Callable[..., str]:
    """A done job with a result media expiring after ``ttl``; returns the job id."""

    def add(slot_id: str, started_at: datetime, ttl: timedelta = timedelta(hours=72),
            is_test: bool = False) -> str:
        job_id = add_job(slot_id, "done", started_at, is_test=is_test)
        add_media("result", slot_id, job_id, expires_at=started_at + ttl, created_at=started_at)
        return job_id

    return add
