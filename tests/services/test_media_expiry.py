"""The one expiry rule: its Python and SQL forms agree, and a thumbnail goes with its parent."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from photoslot import clock
from photoslot.errors import ApiError
from photoslot.extensions import db
from photoslot.models import MediaObject
from photoslot.services.media.lifetime import (
    ensure_not_expired,
    expired_at,
    expired_clause,
    live_clause,
)
from tests.media_helpers import add_media

SECOND = timedelta(seconds=1)


def test_sql_and_python_forms_agree_on_every_row(app):
    with app.app_context():
        now = clock.now()
        expired = add_media("result", expires_at=now - SECOND)
        at_expiry = add_media("input", expires_at=now)
        live = add_media("result", expires_at=now + SECOND)
        forever = add_media("template")
        rows = {m.id: m for m in db.session.scalars(select(MediaObject))}
        in_sql_expired = set(db.session.scalars(select(MediaObject.id).where(expired_clause(now))))
        in_sql_live = set(db.session.scalars(select(MediaObject.id).where(live_clause(now))))
        in_python_expired = {i for i, m in rows.items() if expired_at(m, now) is not None}
        assert in_sql_expired == in_python_expired == {expired.id, at_expiry.id}
        assert in_sql_live == set(rows) - in_python_expired == {live.id, forever.id}


def test_a_thumbnail_expires_with_its_parent_even_without_its_own_expiry(app):
    with app.app_context():
        expiry = clock.now() + SECOND
        parent = add_media("result", expires_at=expiry)
        thumb = add_media("thumbnail", parent=parent)
        row = db.session.get(MediaObject, thumb.id)
        assert ensure_not_expired(row) is row
        clock.advance(SECOND)
        with pytest.raises(ApiError) as raised:
            ensure_not_expired(row, details={"media_id": thumb.id})
        assert (raised.value.status, raised.value.code) == (410, "media_expired")
        assert raised.value.details == {"media_id": thumb.id,
                                        "expired_at": expiry.isoformat()}
