"""POST /api/ingest with a Gemini slot against the fake Gemini: every fake mode end to end.

The fake runs in this process and the ingest goes through the Flask test client; the gevent
overlap test at the end goes through a real gunicorn.
"""

from __future__ import annotations

import io
import json
import threading
import time

import pytest
import requests
from PIL import Image

from photoslot.images import provider_input
from photoslot.providers.gemini import GeminiProvider
from tests.contract import assert_contract
from tests.fakes import gemini as fake_gemini
from tests.fakes.images import same_pixels, transform
from tests.ingest_support import (
    assert_consistent,
    assert_failed_job,
    bind_template,
    booth_parts,
    camera_jpeg,
    close_pixels,
    configure_slot,
    content_type,
    ingest_log_lines,
    jobs,
    multipart,
    photo_bytes,
    set_password,
)

T_SYNC = 3
URL = "/api/ingest/slot-003"
PROMPT = "turn the guests into comic heroes"
PHOTO = photo_bytes()  # JPEG, as DSLR Remote Pro sends


@pytest.fixture
def app_env(app_env, gemini_fake):
    return {**app_env, "PHOTOSLOT_T_SYNC_RESPONSE_S": str(T_SYNC),
            "GEMINI_API_KEY": fake_gemini.DEFAULT_API_KEY,
            "PHOTOSLOT_GEMINI_BASE_URL": gemini_fake.base_url}


@pytest.fixture
def gemini_app(app):
    """slot-003 enabled with gemini/edit, the ingest password set."""
    set_password(app)
    configure_slot(app, provider="gemini", operation="edit", params={"prompt": PROMPT})
    return app


def ingest(app, photo: bytes = PHOTO):
    return app.test_client().post(URL, data=multipart(booth_parts(photo)),
                                  content_type=content_type())


@pytest.mark.parametrize("mode", ["ok", "latency=500", "huge"])
def test_generated_image_comes_back_as_jpeg_for_a_jpeg_upload(gemini_app, gemini_fake,
                                                              media_root, mode):
    gemini_fake.mode = mode

    response = ingest(gemini_app)

    assert response.status_code == 200, response.get_data(True)[:300]
    assert_contract(response)
    assert response.mimetype == "image/jpeg"  # the fake answers PNG; the booth sent JPEG
    assert close_pixels(response.data, transform(PHOTO))
    [call] = gemini_fake.requests
    assert call.info == {"model": "gemini-2.5-flash-image", "prompt": PROMPT,
                         "images": ["image/jpeg"]}
    [job] = jobs(gemini_app)
    assert (job.status, job.error_code, job.provider, job.operation) == (
        "done", None, "gemini", "edit")
    assert 0 < job.provider_ms <= job.total_ms
    assert_consistent(gemini_app, media_root)


def test_a_png_upload_gets_the_png_pixels_unchanged(gemini_app):
    photo = photo_bytes(fmt="PNG")
    response = ingest(gemini_app, photo)
    assert response.status_code == 200
    assert response.mimetype == "image/png"
    assert same_pixels(response.data, transform(photo))


def sent_images(gemini_fake) -> list[tuple[str, bytes]]:
    [call] = gemini_fake.requests
    return fake_gemini.parse_request(call.body, call.headers["content-type"])[1]


def test_the_photo_and_template_go_reduced_upright_and_without_metadata(gemini_app, gemini_fake):
    bind_template(gemini_app, "slot-003", photo_bytes((900, 600), fmt="PNG"))
    configure_slot(gemini_app, provider="gemini", operation="compose",
                   params={"prompt": PROMPT, "max_input_side": 300})
    photo = camera_jpeg((1200, 800), orientation=6)

    response = ingest(gemini_app, photo)

    assert response.status_code == 200, response.get_data(True)[:300]
    [(photo_mime, sent_photo), (template_mime, sent_template)] = sent_images(gemini_fake)
    assert (photo_mime, template_mime) == ("image/jpeg", "image/png")
    sent = Image.open(io.BytesIO(sent_photo))
    assert sent.size == (200, 300) and not sent.getexif()  # upright, GPS and serial gone
    assert Image.open(io.BytesIO(sent_template)).size == (300, 200)
    # The booth still gets the provider's full answer (the fake mirrors what it got), as JPEG.
    assert response.mimetype == "image/jpeg"
    assert Image.open(io.BytesIO(response.data)).size == (200, 300)


def test_by_default_a_camera_original_goes_at_the_providers_working_size(gemini_app,
                                                                          gemini_fake):
    response = ingest(gemini_app, camera_jpeg((3200, 2400)))

    assert response.status_code == 200
    [(_, sent_photo)] = sent_images(gemini_fake)
    assert max(Image.open(io.BytesIO(sent_photo)).size) <= GeminiProvider.default_input_side


@pytest.mark.parametrize(("fmt", "streamed"), [("JPEG", True), ("PNG", False)])
def test_a_jpeg_is_reduced_while_it_arrives_with_the_same_result(gemini_app, gemini_fake, fmt,
                                                                  streamed):
    photo = (camera_jpeg((3200, 2400), orientation=6) if fmt == "JPEG"
             else photo_bytes((900, 600), fmt="PNG"))
    with ingest_log_lines() as lines:
        response = ingest(gemini_app, photo)

    assert response.status_code == 200, response.get_data(True)[:300]
    [line] = lines
    assert line["decoded_while_receiving"] is streamed
    # Either way the provider gets exactly what the ordinary decode of the upload gives.
    expected = provider_input(photo, GeminiProvider.default_input_side)[1]
    assert sent_images(gemini_fake) == [(expected.mime, expected.data)]


def test_max_input_side_zero_sends_the_original_bytes(gemini_app, gemini_fake):
    configure_slot(gemini_app, provider="gemini", operation="edit",
                   params={"prompt": PROMPT, "max_input_side": 0})
    photo = camera_jpeg((1200, 800), orientation=6)

    assert ingest(gemini_app, photo).status_code == 200

    assert sent_images(gemini_fake) == [("image/jpeg", photo)]


def test_compose_sends_the_photo_then_the_slot_template(gemini_app, gemini_fake):
    bind_template(gemini_app, "slot-003", photo_bytes((80, 60), fmt="PNG"))
    configure_slot(gemini_app, provider="gemini", operation="compose",
                   params={"prompt": PROMPT, "model": "gemini-3-pro-image-preview"})

    assert ingest(gemini_app).status_code == 200

    [call] = gemini_fake.requests
    assert call.info["model"] == "gemini-3-pro-image-preview"
    assert call.info["images"] == ["image/jpeg", "image/png"]


@pytest.mark.parametrize(
    "mode, status, code, details",
    [
        ("status=504", 504, "provider_timeout", {"status": 504}),
        ("status=500", 502, "provider_error", {"status": 500, "reason": "INTERNAL"}),
        ("status=429", 502, "provider_rate_limited", {"status": 429}),
        ("status=400", 502, "provider_error", {"status": 400, "reason": "INVALID_ARGUMENT"}),
        ("malformed", 502, "provider_bad_response", {}),
        ("shape", 502, "provider_bad_response", {}),
        ("block=SAFETY", 502, "provider_blocked", {"block_reason": "SAFETY"}),
        ("finish=IMAGE_SAFETY", 502, "provider_blocked", {"finish_reason": "IMAGE_SAFETY"}),
        ("finish=NO_IMAGE", 502, "provider_no_image", {"finish_reason": "NO_IMAGE"}),
        ("text_only", 502, "provider_no_image", {"finish_reason": "STOP"}),
        ("drop", 502, "provider_unavailable", {}),
    ],
)
def test_each_failure_mode_gives_its_status_code_and_a_final_job(
        gemini_app, gemini_fake, media_root, mode, status, code, details):
    gemini_fake.mode = mode

    response = ingest(gemini_app)

    job = assert_failed_job(gemini_app, response, status, code,
                            "timeout" if status == 504 else "error")
    assert details.items() <= response.get_json()["error"]["details"].items()
    assert (job.provider, job.operation) == ("gemini", "edit") and job.error_message
    assert 0 <= job.provider_ms <= job.total_ms
    assert len(gemini_fake.requests) == 1  # retries are off: one call per photo
    assert_consistent(gemini_app, media_root)  # no input file (its row expired), no spool file


def test_model_refusal_text_stays_in_the_job_row_not_the_booths_answer(gemini_app, gemini_fake):
    gemini_fake.mode = "text_only"
    response = ingest(gemini_app)
    job = assert_failed_job(gemini_app, response, 502, "provider_no_image", "error")
    assert "edit this photo" not in response.get_data(as_text=True)
    assert "I can't edit this photo" in job.error_message


def test_latency_beyond_t_sync_is_a_504_at_the_deadline(gemini_app, gemini_fake, media_root):
    gemini_fake.mode = f"latency={(T_SYNC + 3) * 1000}"

    response = ingest(gemini_app)

    job = assert_failed_job(gemini_app, response, 504, "provider_timeout", "timeout")
    assert (T_SYNC - 1) * 1000 <= job.total_ms < (T_SYNC + 1.5) * 1000
    assert_consistent(gemini_app, media_root)


def test_a_key_removed_after_enabling_gives_502_unavailable_without_a_call(
        gemini_app, gemini_fake, make_app, media_root):
    without_key = make_app(GEMINI_API_KEY="")  # same database: the slot stays enabled

    response = ingest(without_key)

    assert_failed_job(without_key, response, 502, "provider_unavailable", "error")
    assert gemini_fake.requests == []
    assert_consistent(without_key, media_root)


def test_two_slow_ingests_overlap_in_one_gevent_worker(gemini_app, gemini_fake, gunicorn_server):
    # One worker: the calls can only overlap if the worker's greenlets yield while they wait.
    server = gunicorn_server(workers=1, PHOTOSLOT_T_SYNC_RESPONSE_S="30")
    gemini_fake.mode = "latency=1500"
    statuses: list[int] = []

    def send() -> None:
        response = requests.post(f"{server.base_url}{URL}", data=multipart(booth_parts(PHOTO)),
                                 headers={"Content-Type": content_type()}, timeout=30)
        statuses.append(response.status_code)

    threads = [threading.Thread(target=send) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert statuses == [200, 200]
    first, second = sorted(gemini_fake.requests, key=lambda r: r.started)
    assert second.started < first.ended, "the second call began only after the first ended"
    assert {job.status for job in jobs(gemini_app)} == {"done"}


class Trickle:
    """A request body handed to the socket at ``bytes_per_s``, as from a venue's uplink."""

    def __init__(self, body: bytes, bytes_per_s: float):
        self.body, self.bytes_per_s, self.position = body, bytes_per_s, 0
        self.started: float | None = None

    def __len__(self) -> int:
        return len(self.body)

    def read(self, size: int = -1) -> bytes:
        self.started = self.started or time.monotonic()
        lag = self.started + self.position / self.bytes_per_s - time.monotonic()
        if lag > 0:
            time.sleep(lag)
        chunk = self.body[self.position:self.position + min(max(size, 1), 32 * 1024)]
        self.position += len(chunk)
        return chunk


def test_a_trickling_photo_is_mostly_decoded_before_its_last_byte(gemini_app, gemini_fake,
                                                                  gunicorn_server):
    server = gunicorn_server(workers=1)
    noisy = Image.merge("RGB", [Image.effect_noise((2400, 1600), 60) for _ in range(3)])
    out = io.BytesIO()
    noisy.save(out, "JPEG", quality=90)
    photo = out.getvalue()
    assert len(photo) > 1_500_000

    response = requests.post(f"{server.base_url}{URL}",
                             data=Trickle(multipart(booth_parts(photo)), 2_000_000),
                             headers={"Content-Type": content_type()}, timeout=30)

    assert response.status_code == 200, response.text[:300]
    [line] = [json.loads(text) for text in server.log().splitlines()
              if '"event": "ingest"' in text]
    assert line["decoded_while_receiving"] is True
    assert line["decoded_early_bytes"] > len(photo) // 2  # the rest: the last piece or two
    expected = provider_input(photo, GeminiProvider.default_input_side)[1]
    assert sent_images(gemini_fake) == [(expected.mime, expected.data)]
