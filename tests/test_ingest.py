"""POST /api/ingest/{slot_id}: the booth's upload in, the processed picture out (UC2)."""

from __future__ import annotations

import base64
import io
import time
from datetime import timedelta

import pytest
from PIL import Image

from photoslot import clock
from photoslot.services.audit import Actor
from tests.contract import assert_contract, assert_error
from tests.ingest_support import (
    INGEST_PASSWORD,
    assert_consistent,
    booth_parts,
    configure_slot,
    content_type,
    files_under,
    ingest_log_lines,
    jobs,
    media_rows,
    multipart,
    photo_bytes,
    photo_reader,
    set_password,
)

URL = "/api/ingest/slot-003"


@pytest.fixture
def ready(app):
    """slot-003 enabled with local/grayscale and the ingest password set."""
    set_password(app)
    configure_slot(app)
    return app


def post(client, body: bytes, url: str = URL, **kwargs):
    return client.post(url, data=body, content_type=content_type(), **kwargs)


def test_booth_upload_returns_the_processed_image_by_default(ready, client, media_root):
    photo = photo_bytes()
    response = post(client, multipart(booth_parts(photo)), url=f"{URL}?session=42")

    assert response.status_code == 200, response.get_data(True)
    assert_contract(response)
    assert response.mimetype == "image/jpeg"
    assert int(response.headers["Content-Length"]) == len(response.data)
    job_id = response.headers["X-Job-Id"]
    assert response.headers["X-Result-Url"] == f"http://gateway.test/public/results/{job_id}"
    assert response.headers["Server-Timing"].startswith("provider;dur=")
    result = Image.open(io.BytesIO(response.data))
    assert result.size == (64, 48) and result.mode == "L"
    assert response.data != photo

    [job] = jobs(ready)
    assert (job.id, job.status, job.slot_id, job.provider, job.operation) == (
        job_id, "done", "slot-003", "local", "grayscale")
    assert job.provider_ms is not None and job.total_ms >= job.provider_ms
    assert job.input_bytes == len(photo) and job.finished_at >= job.started_at
    # the booth's descriptive fields and query string, never the password or the hash
    assert job.client_meta == {"name": "BOOTH-PC-07", "user_id": "BoothOperator",
                               "id": "CY04N068111304S2L_00000001.", "version": "3.30.2",
                               "filename": "IMG_0003.JPG", "query": {"session": "42"}}
    [stored] = media_rows(ready, "result")
    assert stored.path == f"results/{job_id}.jpg" and stored.size == len(response.data)
    assert stored.expires_at - stored.created_at == timedelta(hours=72)
    assert_consistent(ready, media_root)


def test_json_form_on_accept_header(ready, client, media_root):
    response = post(client, multipart(booth_parts(photo_bytes())),
                    headers={"Accept": "application/json"})
    assert response.status_code == 200
    assert_contract(response)
    body = response.get_json()
    assert set(body) == {"job_id", "status", "slot_id", "result_url", "expires_at", "mime",
                         "timings"}
    assert body["status"] == "done" and body["slot_id"] == "slot-003"
    assert body["job_id"] == response.headers["X-Job-Id"]
    assert body["result_url"] == response.headers["X-Result-Url"]
    assert body["mime"] == "image/jpeg"
    assert set(body["timings"]) == {"provider_ms", "total_ms"}
    assert_consistent(ready, media_root)


def test_json_form_on_query_with_an_inline_preview(ready, client):
    response = post(client, multipart(booth_parts(photo_bytes((800, 600)))),
                    url=f"{URL}?response=json&preview=1")
    assert response.status_code == 200
    assert_contract(response)
    preview = response.get_json()["preview"]
    assert preview.startswith("data:image/jpeg;base64,")
    small = Image.open(io.BytesIO(base64.b64decode(preview.split(",", 1)[1])))
    assert small.format == "JPEG" and max(small.size) == 256


def test_result_is_served_publicly_until_it_expires(ready, client):
    ingest = post(client, multipart(booth_parts(photo_bytes())))
    path = ingest.headers["X-Result-Url"].removeprefix("http://gateway.test")

    got = client.get(path)
    assert got.status_code == 200
    assert_contract(got)
    assert got.data == ingest.data and got.mimetype == "image/jpeg"
    assert int(got.headers["Content-Length"]) == len(ingest.data)
    assert got.headers["ETag"] and "public" in got.headers["Cache-Control"]
    assert 0 < got.cache_control.max_age <= 72 * 3600

    head = client.head(path)
    assert head.status_code == 200 and head.data == b""
    assert head.headers["Content-Length"] == got.headers["Content-Length"]
    assert head.headers["ETag"] == got.headers["ETag"]
    assert_contract(head)

    cached = client.get(path, headers={"If-None-Match": got.headers["ETag"]})
    assert cached.status_code == 304
    assert_contract(cached)

    clock.advance(timedelta(hours=72, seconds=1))
    error = assert_error(client.get(path), 410, "media_expired")
    assert error["details"]["expired_at"]
    assert_contract(client.get(path))


def test_unknown_result_is_404(app, client):
    response = client.get("/public/results/6f1c0d9e-8b7a-4f5e-8d3c-2b1a0f9e8d7c")
    assert_error(response, 404, "result_not_found")
    assert_contract(response)


@pytest.mark.parametrize("field", ["file", "image", "photo", "media", "whatever"])
def test_any_file_field_name_is_accepted(ready, client, field):
    response = post(client, multipart(booth_parts(photo_bytes(), file_field=field)))
    assert response.status_code == 200, response.get_data(True)


def test_booth_field_wins_over_other_file_parts(ready, client, media_root):
    parts = [("password", INGEST_PASSWORD),
             ("thumbnail", ("t.txt", b"not an image", "text/plain")),
             ("fileToUpload", ("IMG.JPG", photo_bytes(), "image/jpeg"))]
    response = post(client, multipart(parts))
    assert response.status_code == 200, response.get_data(True)
    assert_consistent(ready, media_root)


@pytest.mark.parametrize("where", ["header", "bearer", "query"])
def test_password_is_accepted_from_every_documented_place(ready, client, where):
    parts = booth_parts(photo_bytes(), password=None)
    headers, url = {}, URL
    if where == "header":
        headers["X-Ingest-Password"] = INGEST_PASSWORD
    elif where == "bearer":
        headers["Authorization"] = f"Bearer {INGEST_PASSWORD}"
    else:
        url = f"{URL}?password={INGEST_PASSWORD}&session=7"
    response = post(client, multipart(parts), url=url, headers=headers)
    assert response.status_code == 200, response.get_data(True)
    [job] = jobs(ready)
    assert "password" not in str(job.client_meta)


def test_a_password_field_after_the_photo_is_a_missing_password(ready, client, media_root):
    parts = [*booth_parts(photo_bytes(), password=None), ("password", INGEST_PASSWORD)]
    response = post(client, multipart(parts))
    error = assert_error(response, 401, "invalid_ingest_password")
    assert "before the photo" in error["message"]
    assert jobs(ready) == [] and files_under(media_root) == []  # nothing was spooled


def test_frame_overlays_the_slots_template(ready, client, media_root):
    from photoslot.extensions import db
    from photoslot.models import MediaObject, SlotTemplateMedia
    from photoslot.services.media import store

    overlay = Image.new("RGBA", (32, 24), (255, 0, 0, 0))
    overlay.paste((255, 0, 0, 255), (0, 0, 32, 3))  # a red band on top
    data = io.BytesIO()
    overlay.save(data, "PNG")
    with ready.app_context():
        media = MediaObject(kind="template", path="templates/frame.png", mime="image/png",
                            size=len(data.getvalue()), width=32, height=24)
        store.write_bytes(media.path, data.getvalue())
        db.session.add(media)
        db.session.flush()
        db.session.add(SlotTemplateMedia(slot_id="slot-003", media_id=media.id, position=0))
        db.session.commit()
    configure_slot(ready, operation="frame")

    response = post(client, multipart(booth_parts(photo_bytes())))
    assert response.status_code == 200, response.get_data(True)
    framed = Image.open(io.BytesIO(response.data)).convert("RGB")
    red, green, blue = framed.getpixel((10, 1))
    assert red > 200 and green < 60 and blue < 60


def test_one_structured_log_line_per_ingest_without_secrets(ready, client):
    with ingest_log_lines() as lines:
        ok = post(client, multipart(booth_parts(photo_bytes(), password=None)),
                  url=f"{URL}?password={INGEST_PASSWORD}")
        bad = post(client, multipart(booth_parts(photo_bytes(), password="wrong-one")))
    assert ok.status_code == 200 and bad.status_code == 401
    assert len(lines) == 2
    done, rejected = lines
    assert done["job_id"] == ok.headers["X-Job-Id"]
    assert {k: done[k] for k in ("slot", "provider", "outcome", "status")} == {
        "slot": "slot-003", "provider": "local", "outcome": "done", "status": 200}
    assert done["bytes"] > 0 and done["total_ms"] >= done["provider_ms"] >= 0
    assert (rejected["outcome"], rejected["status"]) == ("rejected", 401)
    assert INGEST_PASSWORD not in str(lines) and "wrong-one" not in str(lines)
    assert not files_under(ready.extensions["photoslot.config"].media_root / "inputs")


def test_an_admin_trial_run_needs_no_password_and_works_on_a_disabled_slot(app, media_root):
    from photoslot.clock import Deadline
    from photoslot.services.ingest.pipeline import IngestRequest, ingest

    configure_slot(app, enabled=False)  # and no ingest password set at all
    with app.app_context():  # the service alone, no HTTP request around it
        result = ingest(IngestRequest(
            slot_id="slot-003", password=None, receive=photo_reader(photo_bytes()),
            deadline=Deadline.after(10), arrived_at=clock.now(), arrived_mono=time.monotonic()),
            is_test=True)
    [job] = jobs(app)
    assert (job.id, job.status, job.is_test) == (result.job_id, "done", True)
    assert_consistent(app, media_root)


def test_total_ms_counts_from_the_arrival_whatever_budget_the_deadline_has(ready, media_root):
    from photoslot.clock import Deadline
    from photoslot.services.ingest.pipeline import IngestRequest, ingest

    arrived_mono = time.monotonic() - 1.5  # the request arrived 1.5 s ago ...
    deadline = Deadline(arrived_mono + 10)  # ... with a 10 s budget, not T_sync
    with ready.app_context():
        result = ingest(IngestRequest(
            slot_id="slot-003", password=None,
            receive=photo_reader(photo_bytes(), {"password": INGEST_PASSWORD}),
            deadline=deadline, arrived_at=clock.now(), arrived_mono=arrived_mono))
    [job] = jobs(ready)
    assert job.total_ms == result.total_ms
    assert 1500 <= job.total_ms < 10_000  # inside its own budget, counted from the arrival
    assert result.result_url == f"http://gateway.test/public/results/{job.id}"
    assert_consistent(ready, media_root)


def test_result_removed_by_cleanup_is_410_not_404(ready, client, app):
    from photoslot.services.cleanup.runs import run_cleanup

    ingest = post(client, multipart(booth_parts(photo_bytes())))
    path = ingest.headers["X-Result-Url"].removeprefix("http://gateway.test")
    clock.advance(timedelta(hours=72, seconds=1))
    with app.app_context():
        assert run_cleanup(actor=Actor("system")).status == "ok"
    error = assert_error(client.get(path), 410, "media_gone")
    assert error["details"]["job_id"] == ingest.headers["X-Job-Id"]


def test_result_supports_range_requests(ready, client):
    ingest = post(client, multipart(booth_parts(photo_bytes())))
    path = ingest.headers["X-Result-Url"].removeprefix("http://gateway.test")
    partial = client.get(path, headers={"Range": "bytes=0-99"})
    assert partial.status_code == 206
    assert partial.data == ingest.data[:100]
    assert_contract(partial)


def test_the_ingest_makes_the_results_thumbnail_so_slot_views_do_no_image_work(
        ready, client, auth_headers):
    response = post(client, multipart(booth_parts(photo_bytes((900, 600)))))
    assert response.status_code == 200, response.get_data(True)
    [result] = media_rows(ready, "result")
    [thumb] = media_rows(ready, "thumbnail")
    assert (thumb.parent_id, thumb.job_id, thumb.expires_at) == (
        result.id, result.job_id, result.expires_at)
    assert (thumb.width, thumb.height) == (320, 213)

    detail = client.get("/api/slots/slot-003", headers=auth_headers()).get_json()
    assert detail["recent_results"][0]["thumbnail_url"] == (
        f"http://gateway.test/public/thumbnails/{thumb.token}")
    assert [t.id for t in media_rows(ready, "thumbnail")] == [thumb.id]


def test_near_the_deadline_the_result_goes_without_a_thumbnail(
        ready, client, auth_headers, monkeypatch):
    from photoslot.services.ingest import jobs as jobs_service

    monkeypatch.setattr(jobs_service, "THUMBNAIL_MIN_REMAINING_S", 10**6)
    assert post(client, multipart(booth_parts(photo_bytes()))).status_code == 200
    assert media_rows(ready, "thumbnail") == []
    detail = client.get("/api/slots/slot-003", headers=auth_headers()).get_json()
    assert detail["recent_results"][0]["thumbnail_url"] is None  # the UI shows the full image
    assert media_rows(ready, "thumbnail") == []  # a read makes nothing
