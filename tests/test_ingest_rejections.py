"""Ingest checks, in order: 404 slot → 401 → 404 disabled → 413 → 415 → 422 (no job, no file)."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from tests.contract import assert_contract, assert_error
from tests.ingest_support import (
    BOUNDARY,
    INGEST_PASSWORD,
    booth_parts,
    configure_slot,
    content_type,
    files_under,
    jobs,
    media_rows,
    multipart,
    photo_bytes,
    set_password,
)

URL = "/api/ingest/slot-003"
SMALL_MB = "0.05"  # 52 428 bytes


@pytest.fixture
def ready(app):
    set_password(app)
    configure_slot(app)
    return app


def post(client, body: bytes, url: str = URL, **kwargs):
    return client.post(url, data=body, content_type=content_type(), **kwargs)


def rejected(app, media_root, response, status: int, code: str) -> dict:
    """The envelope with ``status``/``code``, in the contract, and nothing left behind."""
    error = assert_error(response, status, code)
    assert_contract(response)
    assert "X-Job-Id" not in response.headers
    assert jobs(app) == []
    assert media_rows(app) == []
    assert files_under(media_root) == []
    return error


def raw_post(client, stream, length: str | None, headers: dict | None = None):
    """POST ``stream`` as the WSGI input; ``length`` None = chunked as gunicorn hands it over
    (no length, the server terminates the stream)."""
    environ = {"wsgi.input": stream, "CONTENT_TYPE": content_type(),
               "CONTENT_LENGTH": length or ""}
    if length is None:
        environ["wsgi.input_terminated"] = True
    return client.post(URL, headers=headers or {}, environ_overrides=environ)


class Unreadable(io.RawIOBase):
    """A body that must not be read at all."""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        raise AssertionError("the body was read")


class Endless(io.RawIOBase):
    """A length-less body that never ends; counts what the server read."""

    def __init__(self, head: bytes):
        self.head, self.served = head, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        chunk = (self.head[self.served:] or b"\xff" * len(buffer))[: len(buffer)]
        buffer[: len(chunk)] = chunk
        self.served += len(chunk)
        return len(chunk)


def test_unknown_slot_is_404_before_the_password(ready, client, media_root):
    response = post(client, multipart(booth_parts(photo_bytes(), password="wrong")),
                    url="/api/ingest/slot-099")
    error = rejected(ready, media_root, response, 404, "slot_not_found")
    assert error["details"] == {"slot_id": "slot-099"}


def test_unknown_slot_is_said_the_same_way_by_ingest_trial_run_and_slot_update(
        ready, client, auth_headers):
    ingest = post(client, multipart(booth_parts(photo_bytes())), url="/api/ingest/slot-099")
    trial = client.post("/api/slots/slot-099/test", data=multipart(booth_parts(photo_bytes())),
                        content_type=content_type(), headers=auth_headers())
    update = client.put("/api/slots/slot-099", json={"name": "x", "version": 1},
                        headers=auth_headers())
    envelopes = [assert_error(r, 404, "slot_not_found") for r in (ingest, trial, update)]
    assert envelopes[0] == envelopes[1] == envelopes[2]


@pytest.mark.parametrize("password", ["wrong", None, ""])
def test_wrong_or_missing_password_is_401(ready, client, media_root, password):
    response = post(client, multipart(booth_parts(photo_bytes(), password=password)))
    rejected(ready, media_root, response, 401, "invalid_ingest_password")


def test_wrong_header_password_is_401_without_reading_the_body(ready, client, media_root):
    response = raw_post(client, Unreadable(), "1000", headers={"X-Ingest-Password": "wrong"})
    rejected(ready, media_root, response, 401, "invalid_ingest_password")


def test_401_until_an_admin_sets_the_ingest_password(app, client, media_root):
    configure_slot(app)
    response = post(client, multipart(booth_parts(photo_bytes())))
    rejected(app, media_root, response, 401, "ingest_password_not_set")


def test_disabled_slot_is_404_but_only_after_the_password(ready, client, media_root):
    configure_slot(ready, enabled=False)
    wrong = post(client, multipart(booth_parts(photo_bytes(), password="wrong")))
    rejected(ready, media_root, wrong, 401, "invalid_ingest_password")
    right = post(client, multipart(booth_parts(photo_bytes())))
    rejected(ready, media_root, right, 404, "slot_disabled")


def test_file_over_the_limit_is_413(make_app, media_root):
    app = make_app(PHOTOSLOT_MAX_UPLOAD_MB=SMALL_MB)
    set_password(app)
    configure_slot(app)
    big = photo_bytes((400, 400), "PNG")
    assert len(big) > 52_428
    response = post(app.test_client(), multipart(booth_parts(big)))
    error = rejected(app, media_root, response, 413, "payload_too_large")
    assert error["details"] == {"max_bytes": 52_428}


def test_too_long_content_length_is_413_before_reading_once_the_header_authorized_it(
        make_app, media_root):
    app = make_app(PHOTOSLOT_MAX_UPLOAD_MB=SMALL_MB)
    set_password(app)
    configure_slot(app)
    response = raw_post(app.test_client(), Unreadable(), str(10 * 1024 * 1024),
                        headers={"X-Ingest-Password": INGEST_PASSWORD})
    rejected(app, media_root, response, 413, "payload_too_large")


@pytest.mark.parametrize("enabled, password, status, code", [
    (False, "wrong", 401, "invalid_ingest_password"),
    (False, INGEST_PASSWORD, 404, "slot_disabled"),
    (True, INGEST_PASSWORD, 413, "payload_too_large"),
])
def test_a_too_long_body_is_413_only_after_the_password_field_and_the_slot_state(
        make_app, media_root, enabled, password, status, code):
    app = make_app(PHOTOSLOT_MAX_UPLOAD_MB=SMALL_MB)
    set_password(app)
    configure_slot(app, enabled=enabled)
    closing = f"\r\n--{BOUNDARY}--\r\n".encode()
    head = multipart(booth_parts(b"\xff\xd8\xff", password=password)).removesuffix(closing)
    body = Endless(head)  # the booth's order: password first, then a photo that never ends
    response = raw_post(app.test_client(), body, str(10 * 1024 * 1024))
    rejected(app, media_root, response, status, code)
    assert body.served <= 52_428 + 256 * 1024 + 64 * 1024  # cut off while streaming


def test_length_less_body_is_cut_off_while_streaming(make_app, media_root):
    app = make_app(PHOTOSLOT_MAX_UPLOAD_MB=SMALL_MB)
    set_password(app)
    configure_slot(app)
    closing = f"\r\n--{BOUNDARY}--\r\n".encode()
    head = multipart(booth_parts(b"\xff\xd8\xff")).removesuffix(closing)  # the photo never ends
    body = Endless(head)
    response = raw_post(app.test_client(), body, None)
    rejected(app, media_root, response, 413, "payload_too_large")
    assert body.served <= 52_428 + len(head) + 64 * 1024


def test_not_an_image_is_415(ready, client, media_root):
    parts = booth_parts(b"%PDF-1.7 definitely not a photo " * 10)
    error = rejected(ready, media_root, post(client, multipart(parts)), 415,
                     "unsupported_media_type")
    assert "image/jpeg" in error["details"]["accepted"]


def test_non_multipart_body_is_415(ready, client, media_root):
    response = client.post(URL, data=photo_bytes(), content_type="image/jpeg",
                           headers={"X-Ingest-Password": INGEST_PASSWORD})
    rejected(ready, media_root, response, 415, "unsupported_media_type")


def test_truncated_jpeg_is_422(ready, client, media_root):
    broken = photo_bytes((200, 200))[:300]
    response = post(client, multipart(booth_parts(broken)))
    rejected(ready, media_root, response, 422, "invalid_image")


def test_decompression_bomb_is_422(ready, client, media_root):
    out = io.BytesIO()
    Image.new("1", (8000, 8000)).save(out, "PNG")  # 64 Mpx in a few kB
    response = post(client, multipart(booth_parts(out.getvalue())))
    rejected(ready, media_root, response, 422, "image_too_large")


def test_no_file_part_is_400(ready, client, media_root):
    response = post(client, multipart([("password", INGEST_PASSWORD), ("name", "BOOTH")]))
    rejected(ready, media_root, response, 400, "missing_file")


def test_a_body_without_its_closing_boundary_is_400_incomplete(ready, client, media_root):
    body = multipart(booth_parts(photo_bytes()))[:-30]  # the closing boundary is missing
    response = post(client, body, headers={"X-Ingest-Password": INGEST_PASSWORD})
    rejected(ready, media_root, response, 400, "incomplete_upload")


def test_malformed_multipart_is_400(ready, client, media_root):
    body = (f"--{BOUNDARY}\r\nContent-Type: text/plain\r\n\r\nno disposition\r\n"
            f"--{BOUNDARY}--\r\n").encode()
    response = post(client, body, headers={"X-Ingest-Password": INGEST_PASSWORD})
    rejected(ready, media_root, response, 400, "malformed_multipart")


def test_endless_part_headers_are_400(ready, client, media_root):
    head = multipart(booth_parts(b"\xff\xd8\xff"))[:-60]  # cut inside the photo's headers
    body = Endless(head)
    response = raw_post(client, body, None)
    rejected(ready, media_root, response, 400, "malformed_multipart")
    assert body.served < 4 * 64 * 1024


def test_body_shorter_than_its_content_length_is_400(ready, client, media_root):
    body = multipart(booth_parts(photo_bytes()))
    response = raw_post(client, io.BytesIO(body), str(len(body) + 1000))
    rejected(ready, media_root, response, 400, "incomplete_upload")


def test_a_body_over_the_total_cap_is_413_even_when_no_file_is_too_large(make_app, media_root):
    app = make_app(PHOTOSLOT_MAX_UPLOAD_MB=SMALL_MB)
    set_password(app)
    configure_slot(app)
    fields = [(f"note{i}", "x" * 60_000) for i in range(8)]  # 480 kB of text, each field allowed
    body = multipart([("password", INGEST_PASSWORD), *fields,
                      ("fileToUpload", ("a.jpg", photo_bytes(), "image/jpeg"))])
    response = raw_post(app.test_client(), io.BytesIO(body), None)  # length-less, as chunked
    error = rejected(app, media_root, response, 413, "payload_too_large")
    assert error["details"] == {"max_bytes": 52_428}
