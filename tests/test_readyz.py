"""GET /readyz: database, media root and providers, each with status, latency and message; 503
only for the database and the media root. The same checks under gunicorn, with the database cut
off and restored, are in test_readyz_gunicorn.py."""

from __future__ import annotations

from datetime import timedelta

from photoslot import clock
from photoslot.extensions import db
from photoslot.models import JobHistory
from tests.contract import assert_contract, assert_error
from tests.ingest_support import configure_slot


def ready_report(client) -> dict:
    response = client.get("/readyz")
    assert response.status_code == 200, response.get_data(True)
    assert_contract(response)
    return response.get_json()


def not_ready_report(client) -> dict:
    response = client.get("/readyz")
    error = assert_error(response, 503, "not_ready")
    assert_contract(response)
    return error["details"]


def test_everything_ok_is_200_with_each_check(client):
    report = ready_report(client)
    assert report["status"] == "ok"
    assert set(report["checks"]) == {"database", "media", "providers"}
    for check in report["checks"].values():
        assert check["status"] == "ok" and check["latency_ms"] >= 0 and check["message"]
    assert report["checks"]["database"]["revision"]
    media = report["checks"]["media"]
    assert media["min_free_pct"] == 10 and 0 < media["free_bytes"] <= media["total_bytes"]


def test_a_missing_media_root_is_503_and_200_again_once_restored(client, media_root):
    moved = media_root.rename(media_root.with_name("media-away"))
    report = not_ready_report(client)
    assert report["status"] == "fail"
    assert report["checks"]["media"]["status"] == "fail"
    assert "missing" in report["checks"]["media"]["message"]
    assert report["checks"]["database"]["status"] == "ok"

    moved.rename(media_root)
    assert ready_report(client)["status"] == "ok"
    assert not list(media_root.iterdir())  # the probe file was removed


def test_a_media_root_replaced_by_a_file_is_503(client, media_root):
    media_root.rmdir()
    media_root.write_text("not a directory")
    assert not_ready_report(client)["checks"]["media"]["status"] == "fail"


def test_free_space_below_the_minimum_is_503_naming_the_variable(make_app):
    client = make_app(PHOTOSLOT_MIN_FREE_DISK_PCT="100").test_client()
    media = not_ready_report(client)["checks"]["media"]
    assert media["status"] == "fail" and media["min_free_pct"] == 100
    assert "PHOTOSLOT_MIN_FREE_DISK_PCT" in media["message"]


def test_an_unreachable_database_is_503_with_the_reason(app, make_app, closed_port):
    unreachable = make_app(DATABASE_URL=f"postgresql://postgres@127.0.0.1:{closed_port}/nowhere")
    report = not_ready_report(unreachable.test_client())
    assert report["checks"]["database"]["status"] == "fail"
    assert "OperationalError" in report["checks"]["database"]["message"]
    assert report["checks"]["media"]["status"] == "ok"
    assert report["checks"]["providers"]["status"] == "degraded"  # cannot read slots/jobs


def add_jobs(app, provider: str, statuses: list[str], minutes_ago: int = 1,
             error_code: str | None = None) -> None:
    with app.app_context():
        for status in statuses:
            db.session.add(JobHistory(
                slot_id="slot-001", provider=provider, operation="grayscale", status=status,
                started_at=clock.now() - timedelta(minutes=minutes_ago), client_meta={},
                error_code=error_code))
        db.session.commit()


def test_a_failing_provider_is_degraded_but_still_200(app, client):
    configure_slot(app, "slot-001")
    add_jobs(app, "local", ["timeout", "error", "done"], minutes_ago=20)  # outside 15 min
    assert ready_report(client)["status"] == "ok"
    add_jobs(app, "local", ["timeout", "error", "done"])
    report = ready_report(client)
    assert report["status"] == "degraded"
    providers = report["checks"]["providers"]
    assert providers["status"] == "degraded"
    assert providers["message"] == "local: 2 of the last 3 calls failed"
    assert providers["providers"]["local"] == {
        "configured": True, "enabled_slots": 1, "recent_finished": 3, "recent_failed": 2}


def test_half_failed_test_runs_or_gateway_failures_do_not_make_it_degraded(app, client):
    add_jobs(app, "local", ["timeout", "done", "error", "done"])  # half: not "more than half"
    add_jobs(app, "local", ["error"], error_code="internal_error")  # the gateway's own failures
    add_jobs(app, "local", ["error"], error_code="abandoned")
    with app.app_context():
        db.session.add(JobHistory(slot_id="slot-001", provider="local", operation="x",
                                  status="error", started_at=clock.now(), is_test=True,
                                  client_meta={}))
        db.session.commit()
    report = ready_report(client)
    assert report["status"] == "ok"
    assert report["checks"]["providers"]["providers"]["local"]["recent_failed"] == 2


def test_an_enabled_slot_whose_provider_lost_its_key_is_degraded(make_app):
    keyed = make_app(GEMINI_API_KEY="a-key-nobody-calls-with")
    configure_slot(keyed, "slot-002", provider="gemini", operation="edit",
                   params={"prompt": "comic"})
    report = ready_report(make_app().test_client())  # the same database, no GEMINI_API_KEY
    assert report["status"] == "degraded"
    assert report["checks"]["providers"]["message"] == (
        "gemini: not configured (set GEMINI_API_KEY) but used by 1 enabled slot(s)")
