"""POST /api/ingest with a Turbotext slot through a real gunicorn, against the fake Turbotext.

Turbotext downloads the photo from the gateway's public link while the ingest waits, so the
gateway must really serve HTTP: one gunicorn (1 gevent worker) per module, whose
PHOTOSLOT_PUBLIC_BASE_URL is its own address. Each test still gets a clean database and an empty
media root, shared with the test's own app (which configures slots and reads rows).
"""

from __future__ import annotations

import base64
import hashlib
import shutil
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
import requests

from photoslot import clock
from tests.contract import assert_contract, assert_error
from tests.fakes import turbotext as fake_turbotext
from tests.fakes.images import transform
from tests.ingest_support import (
    assert_consistent,
    assert_failed_job,
    bind_template,
    booth_parts,
    camera_jpeg,
    close_pixels,
    configure_slot,
    content_type,
    jobs,
    media_rows,
    multipart,
    photo_bytes,
    set_password,
)
from tests.support import GunicornServer, free_port

pytestmark = pytest.mark.gunicorn  # the whole module runs against one real gunicorn

T_SYNC = 4  # Turbotext is polled once a second: room for one pending round, with slack
URL = "/api/ingest/slot-003"
PHOTO = photo_bytes()
PARAMS = {"content": "superhero costume", "strength": 40}


@pytest.fixture(scope="module")
def fake():
    with fake_turbotext.FakeTurbotext(pending=0) as server:
        yield server


@pytest.fixture(scope="module")
def shared_media_root(tmp_path_factory):
    return tmp_path_factory.mktemp("turbotext-media")


@pytest.fixture(scope="module")
def server(_schema, base_env, shared_media_root, fake, tmp_path_factory):
    port = free_port()
    env = {**base_env, **provider_env(fake), "PHOTOSLOT_MEDIA_ROOT": str(shared_media_root),
           "PHOTOSLOT_PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
           "PHOTOSLOT_T_SYNC_RESPONSE_S": str(T_SYNC)}
    gunicorn = GunicornServer(env, tmp_path_factory.mktemp("logs") / "gunicorn.log", 1, port)
    yield gunicorn
    gunicorn.stop()


def provider_env(fake) -> dict[str, str]:
    return {"TURBOTEXT_API_KEY": fake_turbotext.DEFAULT_API_KEY,
            "PHOTOSLOT_TURBOTEXT_BASE_URL": fake.base_url}


@pytest.fixture
def media_root(shared_media_root):
    """The server's media root, emptied for each test (the conftest's app_env uses it)."""
    for child in shared_media_root.iterdir():
        shutil.rmtree(child) if child.is_dir() else child.unlink()
    return shared_media_root


@pytest.fixture
def app_env(app_env, fake):
    return {**app_env, **provider_env(fake)}


@pytest.fixture
def tt_app(app, fake, server):
    """slot-003 enabled with turbotext/generate_image2image; the fake reset to ``ok``."""
    fake.mode = "ok"
    fake.requests.clear()
    fake.downloads.clear()
    set_password(app)
    configure_slot(app, provider="turbotext", operation="generate_image2image", params=PARAMS)
    return app


def ingest(server) -> requests.Response:
    return requests.post(f"{server.base_url}{URL}", data=multipart(booth_parts(PHOTO)),
                         headers={"Content-Type": content_type()}, timeout=30)


def created_form(fake) -> dict[str, str]:
    [create] = [r for r in fake.requests if r.info.get("form", {}).get("do") == "create_queue"]
    return create.info["form"]


@pytest.mark.parametrize("mode", ["ok", "pending=1", "result=data", "result=image", "huge"])
def test_result_is_queued_polled_downloaded_and_answered(tt_app, server, fake, media_root, mode):
    fake.mode = mode

    response = ingest(server)

    assert response.status_code == 200, response.text[:300]
    assert_contract(response)
    assert response.headers["Content-Type"] == "image/jpeg"
    assert close_pixels(response.content, transform(PHOTO))  # made from the bytes it fetched
    [download] = fake.downloads
    assert (download["field"], download["status"], download["error"]) == ("url", 200, None)
    assert download["url"].startswith(f"{server.base_url}/public/media/")
    assert created_form(fake) == {"do": "create_queue", "url": download["url"],
                                  "content": "superhero costume", "strength": "40"}
    [job] = jobs(tt_app)
    assert (job.status, job.provider, job.operation) == ("done", "turbotext",
                                                         "generate_image2image")
    assert 0 < job.provider_ms <= job.total_ms
    assert_consistent(tt_app, media_root)


def test_turbotext_downloads_the_reduced_photo_and_never_sees_max_input_side(tt_app, server,
                                                                             fake):
    configure_slot(tt_app, provider="turbotext", operation="generate_image2image",
                   params={**PARAMS, "max_input_side": 400})

    response = requests.post(f"{server.base_url}{URL}",
                             data=multipart(booth_parts(camera_jpeg((1600, 1200), 6))),
                             headers={"Content-Type": content_type()}, timeout=30)

    assert response.status_code == 200, response.text[:300]
    [download] = fake.downloads
    assert download["size"] == (300, 400)  # the input link serves the reduced, upright photo
    assert "max_input_side" not in created_form(fake)


@pytest.mark.parametrize(
    "mode, code, details",
    [
        ("status=500", "provider_error", {"status": 500}),
        ("status=429", "provider_rate_limited", {"status": 429}),
        ("status=400", "provider_error", {"status": 400}),
        ("malformed", "provider_bad_response", {}),
        ("drop", "provider_unavailable", {}),
        ("drop,at=poll", "provider_unavailable", {}),
        ("error=face_not_found", "provider_error", {"reason": "refused"}),
        ("status=500,at=download", "provider_error", {"status": 500}),
    ],
)
def test_each_failure_mode_is_a_502_with_its_code_and_a_final_job(
        tt_app, server, fake, media_root, mode, code, details):
    fake.mode = mode

    response = ingest(server)

    job = assert_failed_job(tt_app, response, 502, code, "error")
    assert details.items() <= response.json()["error"]["details"].items()
    assert (job.provider, job.operation) == ("turbotext", "generate_image2image")
    assert 0 <= job.provider_ms <= job.total_ms
    assert len([r for r in fake.requests if r.method == "POST"]) <= 2  # no retries
    assert_consistent(tt_app, media_root)  # no input file (its row expired), no spool file


@pytest.mark.parametrize("mode", [f"latency={(T_SYNC + 3) * 1000}", "never_ready"])
def test_a_late_or_never_ready_queue_is_a_504_at_the_deadline(tt_app, server, fake,
                                                              media_root, mode):
    fake.mode = mode

    response = ingest(server)

    job = assert_failed_job(tt_app, response, 504, "provider_timeout", "timeout")
    assert (T_SYNC - 1) * 1000 <= job.total_ms < (T_SYNC + 1.5) * 1000
    assert_consistent(tt_app, media_root)


def test_deepfake_sends_the_template_as_url_and_the_guest_as_the_face(tt_app, server, fake):
    template = bind_template(tt_app, "slot-003", photo_bytes((80, 60), fmt="PNG"))
    configure_slot(tt_app, provider="turbotext", operation="deepfake_photo",
                   params={"face_restore": True})

    response = ingest(server)

    assert response.status_code == 200, response.text[:300]
    fetched = {d["field"]: d for d in fake.downloads}
    assert {d["status"] for d in fetched.values()} == {200}
    assert fetched["url"]["url"] == template["url"].replace("http://gateway.test",
                                                            server.base_url)
    assert "/public/media/" in fetched["url_image_target"]["url"]
    assert fetched["url_image_target"]["url"] != fetched["url"]["url"]
    assert created_form(fake)["face_restore"] == "True"
    # The fake "generates" from `url`: the scene is the template's, as a booth wants.
    assert close_pixels(response.content, transform(photo_bytes((80, 60), fmt="PNG")))


def test_an_input_link_turbotext_cannot_reach_is_a_502_provider_error(
        tt_app, fake, make_app, closed_port, media_root):
    # A wrong PHOTOSLOT_PUBLIC_BASE_URL: Turbotext cannot download the photo.
    unreachable = make_app(PHOTOSLOT_PUBLIC_BASE_URL=f"http://127.0.0.1:{closed_port}")

    response = unreachable.test_client().post(URL, data=multipart(booth_parts(PHOTO)),
                                              content_type=content_type())

    job = assert_failed_job(unreachable, response, 502, "provider_error", "error")
    error = response.get_json()["error"]
    assert error["details"]["reason"] == "refused" and "ссылке" not in response.get_data(True)
    assert job.error_message == "Turbotext: Не удалось загрузить изображение по ссылке url"
    [download] = fake.downloads
    assert download["url"].startswith(f"http://127.0.0.1:{closed_port}/public/media/")
    assert download["status"] is None and download["error"]
    assert_consistent(unreachable, media_root)


def test_turbotext_fetches_the_input_link_which_answers_410_once_the_job_ended(
        tt_app, server, fake, media_root):
    # The fake downloads the photo, then holds its answer 2 s: time to look at the link while the
    # job runs, and still more than the 1 s a result needs to get its thumbnail (T_SYNC = 4).
    fake.mode = "latency=2000"
    with ThreadPoolExecutor(1) as pool:
        answer = pool.submit(ingest, server)
        download = wait_for(lambda: fake.downloads and fake.downloads[0]["status"] and
                            fake.downloads[0])
        [job] = jobs(tt_app)
        [link] = media_rows(tt_app, "input")
        path = f"/public/media/{link.token}"
        assert (download["url"], download["status"]) == (f"{server.base_url}{path}", 200)
        assert (link.job_id, job.status) == (job.id, "pending")  # the job is still running
        assert link.expires_at - job.started_at == timedelta(seconds=T_SYNC)
        client = tt_app.test_client()
        assert client.get(path).status_code == 200
        assert answer.result().status_code == 200

    # The job ended: from that moment a late fetch learns the photo is gone (410), not unknown.
    [ended] = jobs(tt_app)
    [expired] = media_rows(tt_app, "input")
    assert ended.status == "done" and expired.expires_at == ended.finished_at
    late = requests.get(f"{server.base_url}{path}", timeout=10)
    assert_error(late, 410, "media_expired")
    assert_contract(late)
    gone = client.get(path)
    error = assert_error(gone, 410, "media_expired")
    assert_contract(gone)
    assert error["details"]["expired_at"] == ended.finished_at.isoformat()
    # gunicorn runs on its own clock, which a test cannot move; the link's expiry is a column of
    # the shared database, so the test's app (clock moved here) answers what every worker will.
    clock.advance(timedelta(seconds=T_SYNC + 1))
    assert_error(client.get(path), 410, "media_expired")
    assert_consistent(tt_app, media_root)

    # The token is random (secrets.token_urlsafe), at least 128 bits, and not the job's id.
    raw = base64.urlsafe_b64decode(link.token + "=" * (-len(link.token) % 4))
    assert len(raw) * 8 >= 128
    job_uuid, media_uuid = uuid.UUID(job.id), uuid.UUID(link.id)
    for derived in (job.id, job_uuid.hex, link.id, media_uuid.hex):
        assert derived not in link.token and link.token not in derived
    digests = {hashlib.sha256(job.id.encode()).digest(), hashlib.md5(job.id.encode()).digest(),
               job_uuid.bytes, media_uuid.bytes}
    assert not any(raw.startswith(d[:len(raw)]) or d.startswith(raw) for d in digests)


def wait_for(condition, timeout: float = 10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := condition():
            return value
        time.sleep(0.02)
    raise AssertionError("condition not met in time")
