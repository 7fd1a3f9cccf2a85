"""Clear answers instead of 500s: NUL and over-long values, JSON body cap, slot names stripped,
Retry-After only on 429/503, results flushed to disk before they are renamed into place."""

from __future__ import annotations

import io
import os
import struct

import pytest
from PIL import Image

from photoslot.extensions import db
from photoslot.models import Slot
from photoslot.services.media import store, thumbnails
from tests.contract import assert_contract, assert_error
from tests.ingest_support import (
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

INGEST = "/api/ingest/slot-003"


@pytest.fixture
def ready(app):
    set_password(app)
    configure_slot(app)
    return app


@pytest.mark.parametrize("path", [
    "/api/slots/slot-001%00", "/api/slots/" + "s" * 300, "/public/media/abc%00def",
    "/public/results/%00", "/public/thumbnails/" + "%00" * 3,
])
def test_nul_or_over_long_path_values_are_404(client, auth_headers, path):
    response = client.get(path, headers=auth_headers())
    assert_error(response, 404)


def test_nul_in_a_path_value_is_404_on_changes_too(client, auth_headers):
    response = client.put("/api/slots/slot-001%00", json={"name": "x", "version": 1},
                          headers=auth_headers())
    assert_error(response, 404, "not_found")
    response = client.post("/api/ingest/slot-003%00", data=b"", content_type=content_type())
    assert_error(response, 404, "not_found")


@pytest.mark.parametrize("query, field", [
    ("entity=slot%00", "entity"), ("actor=a%00b&limit=5", "actor"),
    ("ab%00cd=1", "ab\\0cd"), ("entity_id=" + "x" * 2049, "entity_id"),
])
def test_nul_or_over_long_query_values_are_400(client, auth_headers, query, field):
    response = client.get(f"/api/audit?{query}", headers=auth_headers())
    error = assert_error(response, 400, "invalid_input")
    assert_contract(response)
    assert field in error["details"]["fields"]


def test_a_nul_in_the_ingest_query_is_400_before_anything_is_stored(ready, client, media_root):
    body = multipart(booth_parts(photo_bytes()))
    response = client.post(f"{INGEST}?session=4%002", data=body, content_type=content_type())
    assert_error(response, 400, "invalid_input")
    assert jobs(ready) == [] and files_under(media_root) == []


@pytest.mark.parametrize("parts", [
    [("name", "BOOTH\0PC")],
    [("na\0me", "x")],
])
def test_a_nul_in_a_booth_form_field_is_400_and_nothing_is_kept(ready, client, media_root,
                                                                parts):
    body = multipart(booth_parts(photo_bytes())[:1] + parts + booth_parts(photo_bytes())[1:])
    response = client.post(INGEST, data=body, content_type=content_type())
    error = assert_error(response, 400, "invalid_input")
    assert_contract(response)
    assert list(error["details"]["fields"].values()) == ["contains a NUL character"]
    assert jobs(ready) == [] and media_rows(ready) == [] and files_under(media_root) == []


def test_a_nul_in_the_photos_file_name_is_400(ready, client, media_root):
    body = multipart(booth_parts(photo_bytes())[:-1]
                     + [("fileToUpload", ("IMG\0.JPG", photo_bytes(), "image/jpeg"))])
    assert_error(client.post(INGEST, data=body, content_type=content_type()), 400,
                 "invalid_input")
    assert jobs(ready) == [] and files_under(media_root) == []


@pytest.mark.parametrize("url, method, body, field", [
    ("/api/slots/slot-001", "PUT", {"name": "Wed\0ding", "version": 1}, "name"),
    ("/api/slots/slot-001", "PUT", {"params": {"prompt": "x\0"}, "version": 1}, "params.prompt"),
    ("/api/slots/slot-001", "PUT", {"template_media_ids": ["a\0"], "version": 1},
     "template_media_ids.0"),
    ("/api/settings", "PUT", {"ingest_password": "abc\0defgh"}, "ingest_password"),
    ("/api/login", "POST", {"username": "serg\0", "password": "x"}, "username"),
])
def test_a_nul_in_a_json_body_is_422_naming_the_field(client, auth_headers, url, method, body,
                                                      field):
    response = client.open(url, method=method, json=body, headers=auth_headers())
    error = assert_error(response, 422, "validation_error")
    assert_contract(response)
    assert error["details"]["fields"] == {field: "contains a NUL character"}


def test_a_nul_in_a_json_key_is_named_too(client, auth_headers):
    response = client.put("/api/slots/slot-001", headers=auth_headers(),
                          json={"params": {"pro\0mpt": "x"}, "version": 1})
    error = assert_error(response, 422, "validation_error")
    assert error["details"]["fields"] == {"params.pro\\0mpt": "the key contains a NUL character"}


def test_json_bodies_are_capped_at_1_mib_uploads_are_not(client, auth_headers):
    big = {"name": "x", "version": 1, "params": {"prompt": "p" * (1024 * 1024)}}
    response = client.put("/api/slots/slot-001", json=big, headers=auth_headers())
    assert_error(response, 413, "payload_too_large")
    assert_contract(response)
    login = client.post("/api/login", json={"username": "serg", "password": "x" * 2_000_000})
    assert_error(login, 413, "payload_too_large")
    # A multipart upload of 1.5 MB is still fine (PHOTOSLOT_MAX_UPLOAD_MB applies to it).
    noisy = Image.effect_noise((900, 900), 80).convert("RGB")
    buffer = io.BytesIO()
    noisy.save(buffer, "PNG")
    assert len(buffer.getvalue()) > 1024 * 1024
    upload = client.post("/api/template-media/register", headers=auth_headers(),
                         data={"file": (io.BytesIO(buffer.getvalue()), "big.png")},
                         content_type="multipart/form-data")
    assert upload.status_code == 201, upload.get_json()


def test_a_json_body_nested_too_deeply_is_refused_not_a_crash(client, auth_headers):
    deep = "[" * 100_000 + "]" * 100_000
    response = client.put("/api/slots/slot-001", data=deep, content_type="application/json",
                          headers=auth_headers())
    assert_error(response, 422, "validation_error")
    login = client.post("/api/login", data=deep, content_type="application/json")
    assert_error(login, 422, "validation_error")


def test_slot_names_are_stored_stripped(app, client, auth_headers):
    response = client.put("/api/slots/slot-001", json={"name": "  Wedding  ", "version": 1},
                          headers=auth_headers())
    assert response.get_json()["name"] == "Wedding"
    padded = " " * 50 + "x" * 100 + " " * 50  # 100 characters once stripped
    response = client.put("/api/slots/slot-001", json={"name": padded, "version": 2},
                          headers=auth_headers())
    assert response.status_code == 200, response.get_json()
    with app.app_context():
        assert db.session.get(Slot, "slot-001").name == "x" * 100


def test_retry_after_is_only_on_429_and_503(ready, client):
    ok = client.post(INGEST, data=multipart(booth_parts(photo_bytes())),
                     content_type=content_type())
    assert ok.status_code == 200
    wrong = client.post(INGEST, data=multipart(booth_parts(photo_bytes(), password="wrong!")),
                        content_type=content_type())
    assert wrong.status_code == 401
    for response in (ok, wrong):
        assert "Retry-After" not in response.headers
        assert not any(name.startswith("X-RateLimit") for name, _ in response.headers.items())


def test_a_result_is_flushed_to_disk_before_it_is_renamed_into_place(app, monkeypatch):
    calls: list[str] = []
    real_fsync, real_replace = os.fsync, os.replace
    monkeypatch.setattr(os, "fsync", lambda fd: (calls.append("fsync"), real_fsync(fd))[1])
    monkeypatch.setattr(os, "replace",
                        lambda a, b: (calls.append(f"replace {os.path.basename(b)}"),
                                      real_replace(a, b))[1])
    with app.app_context():
        store.write_bytes("results/r1.jpg", b"\xff\xd8\xff result")
        assert store.read_bytes("results/r1.jpg") == b"\xff\xd8\xff result"
    # The file's data, then the rename, then the directory entry.
    assert calls == ["fsync", "replace r1.jpg", "fsync"]


def test_a_template_whose_thumbnail_cannot_be_made_is_422_and_nothing_is_kept(
        app, client, auth_headers, media_root, monkeypatch):
    def hostile(_data: bytes):
        raise struct.error("unpack requires a buffer of 4 bytes")  # what a bad EXIF can do

    monkeypatch.setattr(thumbnails, "_render", hostile)
    response = client.post("/api/template-media/register", headers=auth_headers(),
                           data={"file": (io.BytesIO(photo_bytes(fmt="PNG")), "t.png")},
                           content_type="multipart/form-data")
    error = assert_error(response, 422, "invalid_image")
    assert_contract(response)
    assert error["details"]["reason"] == "error: unpack requires a buffer of 4 bytes"
    assert media_rows(app) == [] and files_under(media_root) == []
