"""The dashboard's board: each slot's newest live result, provider state, last hour's failures."""

from __future__ import annotations

from datetime import timedelta

import pytest

from photoslot import clock
from photoslot.services.slots.board import slot_board
from tests.ingest_support import configure_slot


@pytest.fixture
def app(make_app):
    """The real provider registry, without API keys."""
    return make_app(GEMINI_API_KEY="", TURBOTEXT_API_KEY="")


def board(app) -> dict[str, dict]:
    with app.app_context():
        return {view["id"]: view for view in slot_board()}


def test_the_newest_done_job_gives_the_thumbnail(app, add_result, add_job, add_media):
    now = clock.now()
    add_result("slot-001", now - timedelta(minutes=30))
    newest = add_job("slot-001", "done", now - timedelta(minutes=5))
    add_media("result", "slot-001", newest, expires_at=now + timedelta(hours=72))
    add_job("slot-001", "error", now - timedelta(minutes=1))  # a later failure keeps the picture
    views = board(app)
    last = views["slot-001"]["last_result"]
    assert last["job_id"] == newest
    assert last["url"] == f"http://gateway.test/public/results/{newest}"
    # No thumbnail was made for it (deadline pressure): the full image stands in.
    assert last["thumbnail_url"] == last["url"]
    assert views["slot-002"]["last_result"] is None


def test_an_expired_result_shows_no_picture(app, add_result):
    add_result("slot-002", clock.now() - timedelta(hours=80), ttl=timedelta(hours=72))
    assert board(app)["slot-002"]["last_result"] is None


def test_timeouts_and_errors_of_the_last_hour_are_counted_without_test_runs(app, add_job):
    now = clock.now()
    for minutes in (5, 20):
        add_job("slot-003", "timeout", now - timedelta(minutes=minutes))
    add_job("slot-003", "error", now - timedelta(minutes=59))
    add_job("slot-003", "error", now - timedelta(minutes=61))  # older than an hour
    add_job("slot-003", "timeout", now - timedelta(minutes=2), is_test=True)
    add_job("slot-003", "done", now - timedelta(minutes=1))
    views = board(app)
    assert views["slot-003"]["problems_1h"] == {"timeout": 2, "error": 1}
    assert views["slot-004"]["problems_1h"] == {"timeout": 0, "error": 0}
    assert views["slot-003"]["last_job_status"] == "done"


def test_a_provider_without_its_key_is_flagged(app):
    configure_slot(app, "slot-005", provider="gemini", operation="edit",
                   params={"prompt": "x"}, enabled=False)
    views = board(app)
    assert (views["slot-005"]["provider_configured"], views["slot-005"]["provider_setup_hint"]) == (
        False, "set GEMINI_API_KEY")
    assert views["slot-001"]["provider_configured"] is True
