"""GET /api/slots and GET /api/slots/{id}: the list with stats, one slot's full view."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import event, select

from photoslot import clock
from photoslot.extensions import db
from photoslot.models import SLOT_IDS, JobHistory, MediaObject
from photoslot.services.media.thumbnails import ensure_thumbnail
from tests.contract import assert_contract, assert_error


def test_slot_list_shows_all_15_with_absolute_ingest_urls(client, auth_headers):
    response = client.get("/api/slots", headers=auth_headers(permissions=set()))
    assert response.status_code == 200
    assert_contract(response)
    slots = response.get_json()["slots"]
    assert [s["id"] for s in slots] == list(SLOT_IDS)
    assert slots[0]["ingest_url"] == "http://gateway.test/api/ingest/slot-001"
    assert slots[14]["ingest_url"] == "http://gateway.test/api/ingest/slot-015"
    assert all(s["version"] == 1 and s["enabled"] is False for s in slots)
    assert slots[0]["last_job_status"] is None
    assert slots[0]["success_rate_24h"] is None


def test_slot_list_reports_last_job_and_24h_success_rate(client, auth_headers, add_job):
    now = clock.now()
    for minutes, status in [(50, "done"), (40, "done"), (30, "error"), (20, "done"),
                            (10, "timeout")]:
        add_job("slot-001", status, now - timedelta(minutes=minutes))
    add_job("slot-001", "done", now - timedelta(hours=25))  # outside the window
    add_job("slot-001", "error", now - timedelta(minutes=8), is_test=True)  # admin test runs
    newest = now - timedelta(minutes=5)
    add_job("slot-001", "pending", newest)  # not finished yet
    add_job("slot-002", "done", now - timedelta(hours=30))

    slots = {s["id"]: s for s in client.get("/api/slots", headers=auth_headers()).get_json()[
        "slots"]}
    assert slots["slot-001"]["success_rate_24h"] == 0.6
    assert slots["slot-001"]["finished_jobs_24h"] == 5
    assert slots["slot-001"]["last_job_status"] == "pending"
    assert slots["slot-001"]["last_job_at"] == newest.isoformat()
    assert slots["slot-002"]["success_rate_24h"] is None
    assert slots["slot-002"]["last_job_status"] == "done"
    assert slots["slot-003"]["last_job_at"] is None


def test_slot_list_query_count_does_not_grow_with_jobs(app, client, auth_headers, add_job):
    headers = auth_headers()

    def queries_for_list() -> int:
        statements: list[str] = []
        with app.app_context():
            engine = db.engine
        listener = lambda *args: statements.append(args[2])  # noqa: E731
        event.listen(engine, "before_cursor_execute", listener)
        try:
            assert client.get("/api/slots", headers=headers).status_code == 200
        finally:
            event.remove(engine, "before_cursor_execute", listener)
        return len(statements)

    for slot_id in SLOT_IDS:
        add_job(slot_id, "done")
    few = queries_for_list()
    for slot_id in SLOT_IDS:
        for status in ("done", "error", "timeout", "pending"):
            add_job(slot_id, status)
    assert queries_for_list() == few <= 3


def test_slot_list_needs_a_valid_token(client):
    assert_error(client.get("/api/slots"), 401)
    assert_error(client.get("/api/slots", headers={"Authorization": "Bearer nonsense"}), 401)


def test_slot_detail_has_full_config_and_version_etag(client, auth_headers):
    response = client.get("/api/slots/slot-007", headers=auth_headers(permissions=set()))
    assert response.status_code == 200
    assert_contract(response)
    body = response.get_json()
    assert response.headers["ETag"] == '"1"'
    assert body["id"] == "slot-007"
    assert body["version"] == 1
    assert body["params"] == {}
    assert body["ingest_url"] == "http://gateway.test/api/ingest/slot-007"
    assert body["template_media"] == []
    assert body["recent_results"] == []


def test_unknown_slot_is_404(client, auth_headers):
    error = assert_error(client.get("/api/slots/slot-999", headers=auth_headers()), 404,
                         "slot_not_found")
    assert error["details"] == {"slot_id": "slot-999"}


def test_every_admin_endpoint_reports_an_unknown_slot_the_same_way(client, auth_headers):
    headers = auth_headers()
    responses = [
        client.get("/api/slots/slot-999", headers=headers),
        client.put("/api/slots/slot-999", json={"name": "x", "version": 1}, headers=headers),
        client.post("/api/slots/slot-999/template-media/any", headers=headers),
        client.delete("/api/slots/slot-999/template-media/any", headers=headers),
    ]
    errors = [assert_error(response, 404, "slot_not_found") for response in responses]
    assert all(error == errors[0] for error in errors), errors
    assert errors[0]["message"] == "there is no slot 'slot-999'"


def test_slot_detail_needs_a_token(client):
    assert_error(client.get("/api/slots/slot-001"), 401)


def test_recent_results_are_the_10_newest_live_ones(client, auth_headers, add_job, add_result):
    start = clock.now() - timedelta(hours=2)
    jobs = [add_result("slot-003", start + timedelta(minutes=i)) for i in range(12)]
    short_lived = add_result("slot-003", start + timedelta(minutes=30), ttl=timedelta(hours=3))
    add_job("slot-003", "error", start + timedelta(minutes=40))
    add_result("slot-004", start + timedelta(minutes=50))  # another slot

    def recent() -> list[str]:
        response = client.get("/api/slots/slot-003", headers=auth_headers())
        assert response.status_code == 200
        assert_contract(response)
        return [r["job_id"] for r in response.get_json()["recent_results"]]

    assert recent() == [short_lived, *reversed(jobs[-9:])]
    clock.advance(timedelta(hours=2))  # short_lived expired (3 h after start+30 min)
    assert recent() == list(reversed(jobs[-10:]))


def test_recent_results_carry_links_and_the_thumbnail_the_ingest_made(
        app, client, auth_headers, add_result):
    job_id = add_result("slot-005", clock.now() - timedelta(minutes=1), is_test=True)
    with app.app_context():  # what jobs._succeed does when it stores a result
        result_row = db.session.scalar(select(MediaObject).where(MediaObject.job_id == job_id))
        ensure_thumbnail(result_row)
        db.session.get(JobHistory, job_id).client_meta = {"name": "BOOTH-PC-07", "id": "x"}
        db.session.commit()
    response = client.get("/api/slots/slot-005", headers=auth_headers())
    assert_contract(response)
    (result,) = response.get_json()["recent_results"]
    assert result["url"] == f"http://gateway.test/public/results/{job_id}"
    assert result["is_test"] is True
    assert result["booth"] == "BOOTH-PC-07"  # the name DSLR Remote Pro sent
    assert result["thumbnail_url"].startswith("http://gateway.test/public/thumbnails/")
    thumb_path = result["thumbnail_url"].removeprefix("http://gateway.test")
    assert client.get(thumb_path).headers["Content-Type"] == "image/jpeg"


def test_a_result_without_thumbnail_shows_null_and_the_read_writes_nothing(
        app, client, auth_headers, add_result):
    add_result("slot-005", clock.now() - timedelta(minutes=1))
    writes = []
    with app.app_context():
        engine = db.engine

    def record(conn, cursor, statement, *args):
        if not statement.lstrip().upper().startswith("SELECT"):
            writes.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        response = client.get("/api/slots/slot-005", headers=auth_headers())
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert response.status_code == 200
    assert_contract(response)
    assert writes == []
    assert response.get_json()["recent_results"][0]["thumbnail_url"] is None
    with app.app_context():
        kinds = db.session.scalars(select(MediaObject.kind)).all()
    assert kinds == ["result"]
