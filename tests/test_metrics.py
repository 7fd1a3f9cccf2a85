"""GET /metrics in one process (the test client): what each ingest outcome records, the values
read at scrape time, the cache and the optional bearer token. The multiprocess behaviour under
gunicorn is in test_metrics_gunicorn.py."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest

from photoslot import clock
from photoslot.extensions import db
from photoslot.models import CleanupRun, MediaObject
from photoslot.models.media import new_token
from photoslot.services.cleanup.runs import run_cleanup
from tests.contract import assert_contract, assert_error
from tests.ingest_support import (
    INGEST_PASSWORD,
    booth_parts,
    configure_slot,
    content_type,
    multipart,
    photo_bytes,
    set_password,
)
from tests.metrics_support import parse, total

TOKEN = "metrics-token-for-the-tests"


@pytest.fixture
def app_env(app_env):
    return {**app_env, "PHOTOSLOT_METRICS_CACHE_S": "0"}


@pytest.fixture
def ready(app):
    set_password(app)
    # A provider time of whole milliseconds: the local grayscale of a tiny photo takes < 1 ms.
    configure_slot(app, "slot-003", operation="grayscale", params={"delay_ms": 20})
    return app


def scrape(client, **headers):
    response = client.get("/metrics", headers=headers)
    assert response.status_code == 200, response.get_data(True)[:300]
    assert_contract(response)
    return parse(response.get_data(True))


def ingest(client, slot: str = "slot-003", password: str = INGEST_PASSWORD):
    return client.post(f"/api/ingest/{slot}", data=multipart(booth_parts(photo_bytes(), password)),
                       content_type=content_type())


def test_each_ingest_outcome_is_counted_once_with_its_durations(ready, client, auth_headers):
    before = scrape(client)
    assert ingest(client).status_code == 200
    assert ingest(client, password="wrong-password").status_code == 401
    assert ingest(client, slot="slot-999").status_code == 404
    trial = client.post("/api/slots/slot-003/test", headers=auth_headers(),
                        data={"file": (io.BytesIO(photo_bytes()), "sample.jpg")})
    assert trial.status_code == 200  # an admin's trial run: not a booth ingest, not counted
    after = scrape(client)

    def delta(name, **labels):
        return total(after, name, **labels) - total(before, name, **labels)

    assert delta("photoslot_ingest_total") == 3
    assert delta("photoslot_ingest_total", slot="slot-003", provider="local", outcome="done") == 1
    assert delta("photoslot_ingest_total", slot="slot-003", provider="local",
                 outcome="rejected") == 1
    assert delta("photoslot_ingest_total", slot="unknown", provider="none",
                 outcome="rejected") == 1
    assert delta("photoslot_ingest_duration_seconds_count", provider="local", outcome="done") == 1
    assert delta("photoslot_ingest_duration_seconds_count", outcome="rejected") == 2
    # Only the ingest that reached the provider has a provider time and a gateway overhead.
    assert delta("photoslot_provider_duration_seconds_count") == 1
    assert delta("photoslot_gateway_overhead_seconds_count") == 1
    assert 0 < delta("photoslot_provider_duration_seconds_sum") <= delta(
        "photoslot_ingest_duration_seconds_sum", outcome="done")
    assert total(after, "photoslot_ingest_inflight") == 0
    # Request metrics by URL rule, never by raw path (job ids and slot ids stay out of labels).
    assert delta("flask_http_request_duration_seconds_count",
                 url_rule="/api/ingest/<slot_id>", status="200") == 1
    assert all("slot-003" not in dict(labels).get("url_rule", "") for _, labels in after)


def test_every_expected_series_exists_at_zero_before_any_traffic(app, client):
    samples = scrape(client)
    for provider in ("local", "gemini", "turbotext"):
        for outcome in ("done", "timeout", "provider_error", "error"):
            assert ("photoslot_ingest_total", frozenset(
                {"slot": "slot-015", "provider": provider, "outcome": outcome}.items())) in samples
    for limit in ("login_per_user", "login_per_ip", "ingest_password"):
        assert ("photoslot_ratelimit_rejections_total",
                frozenset({"limit": limit}.items())) in samples
    assert total(samples, "photoslot_ingest_duration_seconds_bucket", provider="local",
                 outcome="done", le="60.0") >= 0  # the T_sync bucket the dashboard reads


def test_wrong_logins_past_the_limit_are_counted_by_limit(make_app):
    app = make_app(PHOTOSLOT_LOGIN_LIMIT_PER_USER="2 per minute")
    client = app.test_client()
    before = scrape(client)
    statuses = [client.post("/api/login", json={"username": "serg", "password": "nope"})
                .status_code for _ in range(4)]
    assert statuses == [401, 401, 429, 429]
    after = scrape(client)
    assert total(after, "photoslot_ratelimit_rejections_total", limit="login_per_user") - total(
        before, "photoslot_ratelimit_rejections_total", limit="login_per_user") == 2


def add_media(app, kind: str, size: int, count: int = 1) -> None:
    with app.app_context():
        for _ in range(count):
            db.session.add(MediaObject(kind=kind, path=f"{kind}s/{new_token()}.jpg",
                                       mime="image/jpeg", size=size))
        db.session.commit()


def test_media_disk_providers_and_readiness_are_read_at_scrape_time(app, client, media_root):
    add_media(app, "result", 1000, count=3)
    add_media(app, "template", 250)
    samples = scrape(client)
    assert total(samples, "photoslot_media_objects", kind="result") == 3
    assert total(samples, "photoslot_media_bytes", kind="result") == 3000
    assert total(samples, "photoslot_media_bytes", kind="template") == 250
    assert total(samples, "photoslot_media_objects", kind="input") == 0
    assert 0 < total(samples, "photoslot_media_disk_free_bytes") <= total(
        samples, "photoslot_media_disk_total_bytes")
    assert total(samples, "photoslot_provider_configured", provider="local") == 1
    assert total(samples, "photoslot_provider_configured", provider="gemini") == 0
    assert {check: total(samples, "photoslot_ready", check=check)
            for check in ("database", "media", "providers")} == {
        "database": 1, "media": 1, "providers": 1}
    assert total(samples, "photoslot_t_sync_seconds") == 60

    media_root.rename(media_root.with_name("gone"))
    broken = scrape(client)
    assert total(broken, "photoslot_ready", check="media") == 0
    assert ("photoslot_media_disk_free_bytes", frozenset()) not in broken  # no statvfs to read


def test_scrape_time_values_are_cached_for_the_configured_seconds(make_app):
    app = make_app(PHOTOSLOT_METRICS_CACHE_S="300")
    client = app.test_client()
    assert total(scrape(client), "photoslot_media_objects", kind="result") == 0
    add_media(app, "result", 10)
    assert total(scrape(client), "photoslot_media_objects", kind="result") == 0  # cached
    fresh = make_app(PHOTOSLOT_METRICS_CACHE_S="0").test_client()
    assert total(scrape(fresh), "photoslot_media_objects", kind="result") == 1


def expire_one_result(app) -> None:
    add_media(app, "result", 10)
    with app.app_context():
        media = db.session.query(MediaObject).filter_by(kind="result").one()
        media.expires_at = clock.now() - timedelta(hours=1)
        db.session.commit()


def test_cleanup_figures_count_real_runs_only(app, client):
    samples = scrape(client)
    assert not any(name == "photoslot_cleanup_last_success_timestamp_seconds"
                   for name, _ in samples)  # absent, not 0: the alert for "never" covers it
    assert total(samples, "photoslot_cleanup_deleted_total") == 0
    expire_one_result(app)

    with app.app_context():
        assert run_cleanup(dry_run=True).summary["deleted"]["result"]["objects"] == 1
    samples = scrape(client)
    assert not any(name == "photoslot_cleanup_last_success_timestamp_seconds"
                   for name, _ in samples)  # a dry run deletes nothing: not a success
    assert total(samples, "photoslot_cleanup_deleted_total") == 0

    with app.app_context():
        run_id = run_cleanup().run_id
        finished_at = db.session.get(CleanupRun, run_id).finished_at
        run_cleanup(dry_run=True)  # a later dry run does not move the timestamp
    samples = scrape(client)
    assert total(samples, "photoslot_cleanup_last_success_timestamp_seconds") == pytest.approx(
        finished_at.timestamp())
    assert total(samples, "photoslot_cleanup_deleted_total", kind="result") == 1
    assert total(samples, "photoslot_cleanup_deleted_total", kind="input") == 0


def test_a_set_token_is_required_as_bearer(make_app):
    client = make_app(PHOTOSLOT_METRICS_TOKEN=TOKEN).test_client()
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": f"Basic {TOKEN}"},
                    {"Authorization": f"Bearer {TOKEN}x"}):
        response = client.get("/metrics", headers=headers)
        assert_error(response, 401, "unauthorized")
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
        assert_contract(response)
    assert "photoslot_ingest_total" in client.get(
        "/metrics", headers={"Authorization": f"Bearer {TOKEN}"}).get_data(True)


def test_without_a_token_the_endpoint_is_open(client):
    assert client.get("/metrics").status_code == 200
