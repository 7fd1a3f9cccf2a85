"""Template media (UC5): register, list, delete, and bind to slots."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from PIL import Image
from sqlalchemy import select

from photoslot import clock
from photoslot.errors import ApiError
from photoslot.extensions import db
from photoslot.models import AuditLog, MediaObject, Slot
from photoslot.services.audit import SYSTEM
from photoslot.services.slots.templates import bind_template
from tests.admin.conftest import image_bytes
from tests.contract import assert_contract, assert_error


def upload(client, headers, data: bytes, field: str = "file"):
    response = client.post("/api/template-media/register", headers=headers,
                           data={field: (io.BytesIO(data), "template.png")},
                           content_type="multipart/form-data")
    return response


def audit_rows(app, action: str) -> list[AuditLog]:
    with app.app_context():
        return list(db.session.scalars(select(AuditLog).where(AuditLog.action == action)))


@pytest.fixture
def template(client, auth_headers) -> dict:
    response = upload(client, auth_headers(), image_bytes("PNG", (800, 600)))
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def test_register_stores_template_and_thumbnail(app, client, auth_headers, media_root):
    response = upload(client, auth_headers(permissions={"media:write"}),
                      image_bytes("WEBP", (1000, 500)))
    assert response.status_code == 201
    assert_contract(response)
    body = response.get_json()
    assert (body["mime"], body["width"], body["height"]) == ("image/webp", 1000, 500)
    assert body["slots"] == []
    assert body["url"].startswith("http://gateway.test/public/media/")
    with app.app_context():
        media = db.session.get(MediaObject, body["id"])
        assert (media.kind, media.expires_at) == ("template", None)
        thumb = db.session.scalar(select(MediaObject).where(MediaObject.parent_id == media.id))
    assert (media_root / media.path).read_bytes()[:4] == b"RIFF"
    assert body["thumbnail_url"] == f"http://gateway.test/public/thumbnails/{thumb.token}"
    with Image.open(media_root / thumb.path) as image:
        assert (image.format, image.size) == ("JPEG", (320, 160))
    (entry,) = audit_rows(app, "template_media.register")
    assert (entry.actor, entry.entity, entry.entity_id) == ("serg", "media", body["id"])
    assert entry.changes["mime"] == [None, "image/webp"]


def test_register_over_the_size_limit_is_413(make_app, auth_headers, media_root):
    client = make_app(PHOTOSLOT_MAX_UPLOAD_MB="0.01").test_client()  # 10 485 bytes
    noisy = Image.effect_noise((200, 200), 64).convert("RGB")
    buffer = io.BytesIO()
    noisy.save(buffer, "PNG")
    assert len(buffer.getvalue()) > 10_485
    error = assert_error(upload(client, auth_headers(), buffer.getvalue()), 413,
                         "payload_too_large")
    assert error["details"] == {"max_bytes": 10_485}
    # Far above the limit, the request is refused before it is parsed, in the same envelope.
    assert_error(upload(client, auth_headers(), b"\xff\xd8\xff" + b"0" * 400_000), 413,
                 "payload_too_large")
    assert not any(p.is_file() for p in media_root.rglob("*"))


def test_register_refuses_non_images_415(client, auth_headers, media_root):
    response = upload(client, auth_headers(), b"GIF89a" + b"\0" * 64)
    assert_error(response, 415, "unsupported_media_type")
    assert_contract(response)
    assert not any(p.is_file() for p in media_root.rglob("*"))


def test_register_refuses_undecodable_images_422(client, auth_headers):
    assert_error(upload(client, auth_headers(), image_bytes("PNG")[:40]), 422, "invalid_image")


def test_register_refuses_decompression_bombs_422(client, auth_headers, monkeypatch):
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)
    assert_error(upload(client, auth_headers(), image_bytes("PNG", (100, 100))), 422,
                 "image_too_large")


def test_register_without_file_field_is_422(client, auth_headers):
    error = assert_error(upload(client, auth_headers(), image_bytes(), field="photo"), 422,
                         "validation_error")
    assert error["details"]["fields"] == {"file": "required"}


def test_register_needs_media_write(client, auth_headers):
    assert_error(upload(client, auth_headers(permissions={"slots:write"}), image_bytes()), 403,
                 "forbidden")
    assert_error(upload(client, {}, image_bytes()), 401)


def test_list_shows_templates_with_their_slots(client, auth_headers, template):
    client.post(f"/api/slots/slot-002/template-media/{template['id']}", headers=auth_headers())
    client.post(f"/api/slots/slot-001/template-media/{template['id']}", headers=auth_headers())
    response = client.get("/api/template-media", headers=auth_headers(permissions=set()))
    assert response.status_code == 200
    assert_contract(response)
    (listed,) = response.get_json()["template_media"]
    assert listed["id"] == template["id"]
    assert listed["slots"] == ["slot-001", "slot-002"]
    assert listed["thumbnail_url"] == template["thumbnail_url"]


def test_bind_appends_bumps_version_and_audits(app, client, auth_headers, template):
    second = upload(client, auth_headers(), image_bytes("JPEG", (50, 50))).get_json()
    headers = auth_headers(permissions={"slots:write"})
    first_bind = client.post(f"/api/slots/slot-004/template-media/{template['id']}",
                             headers=headers)
    assert first_bind.status_code == 200
    response = client.post(f"/api/slots/slot-004/template-media/{second['id']}", headers=headers)
    assert response.status_code == 200
    assert_contract(response)
    body = response.get_json()
    assert body["version"] == 3
    assert response.headers["ETag"] == '"3"'
    assert [(t["id"], t["position"]) for t in body["template_media"]] == [
        (template["id"], 0), (second["id"], 1)]
    assert body["template_media"][0]["url"] == template["url"]
    assert body["template_media"][0]["thumbnail_url"] == template["thumbnail_url"]
    assert body["updated_by"] == "serg"
    entries = audit_rows(app, "slot.template_bind")
    assert [e.changes["template_media_ids"] for e in entries] == [
        [[], [template["id"]]], [[template["id"]], [template["id"], second["id"]]]]
    assert entries[1].changes["version"] == [2, 3]
    # Binding again changes nothing.
    again = client.post(f"/api/slots/slot-004/template-media/{second['id']}", headers=headers)
    assert again.get_json()["version"] == 3
    assert len(audit_rows(app, "slot.template_bind")) == 2


def test_unbind_removes_bumps_version_and_audits(app, client, auth_headers, template):
    headers = auth_headers()
    client.post(f"/api/slots/slot-006/template-media/{template['id']}", headers=headers)
    response = client.delete(f"/api/slots/slot-006/template-media/{template['id']}",
                             headers=headers)
    assert response.status_code == 200
    assert_contract(response)
    assert response.get_json()["template_media"] == []
    assert response.get_json()["version"] == 3
    (entry,) = audit_rows(app, "slot.template_unbind")
    assert entry.changes["template_media_ids"] == [[template["id"]], []]
    assert_error(client.delete(f"/api/slots/slot-006/template-media/{template['id']}",
                               headers=headers), 404, "template_not_bound")


def test_bind_errors(client, auth_headers, template, add_media, add_job):
    headers = auth_headers()
    assert_error(client.post(f"/api/slots/slot-999/template-media/{template['id']}",
                             headers=headers), 404, "slot_not_found")
    assert_error(client.post("/api/slots/slot-001/template-media/nope", headers=headers), 404,
                 "media_not_found")
    result = add_media("result", "slot-001", add_job("slot-001"),
                       expires_at=clock.now() + timedelta(hours=1))
    response = client.post(f"/api/slots/slot-001/template-media/{result['id']}", headers=headers)
    assert_error(response, 422, "not_a_template")
    assert_contract(response)
    expired = add_media("template", expires_at=clock.now() - timedelta(seconds=1))
    response = client.post(f"/api/slots/slot-001/template-media/{expired['id']}", headers=headers)
    assert_error(response, 410, "media_expired")
    assert_contract(response)
    assert_error(client.post(f"/api/slots/slot-001/template-media/{template['id']}",
                             headers=auth_headers(permissions={"media:write"})), 403, "forbidden")
    assert_error(client.delete(f"/api/slots/slot-001/template-media/{template['id']}",
                               headers=auth_headers(permissions=set())), 403, "forbidden")
    assert_error(client.delete(f"/api/slots/slot-999/template-media/{template['id']}",
                               headers=headers), 404, "slot_not_found")


def test_delete_removes_row_file_and_thumbnail(app, client, auth_headers, template, media_root):
    with app.app_context():
        paths = list(db.session.scalars(select(MediaObject.path)))
    assert len(paths) == 2 and all((media_root / p).is_file() for p in paths)
    response = client.delete(f"/api/template-media/{template['id']}",
                             headers=auth_headers(permissions={"media:write"}))
    assert response.status_code == 204
    assert_contract(response)
    with app.app_context():
        assert db.session.scalars(select(MediaObject)).all() == []
    assert not any((media_root / p).exists() for p in paths)
    (entry,) = audit_rows(app, "template_media.delete")
    assert (entry.entity_id, entry.changes["mime"]) == (template["id"], ["image/png", None])
    thumb_path = template["thumbnail_url"].removeprefix("http://gateway.test")
    assert_error(client.get(thumb_path), 404, "media_not_found")


def test_delete_of_a_bound_template_is_409_naming_the_slots(client, auth_headers, template):
    headers = auth_headers()
    for slot_id in ("slot-009", "slot-003"):
        client.post(f"/api/slots/{slot_id}/template-media/{template['id']}", headers=headers)
    response = client.delete(f"/api/template-media/{template['id']}", headers=headers)
    error = assert_error(response, 409, "template_in_use")
    assert_contract(response)
    assert error["details"]["slots"] == ["slot-003", "slot-009"]
    assert "slot-003" in error["message"] and "slot-009" in error["message"]


def test_delete_errors(client, auth_headers, template, add_media, add_job):
    # Media ids are UUIDs: anything else is not routed at all ("register" is a sibling route).
    assert_error(client.delete("/api/template-media/nope", headers=auth_headers()), 404,
                 "not_found")
    assert_error(client.delete("/api/template-media/register", headers=auth_headers()), 405,
                 "method_not_allowed")
    unknown = "6f1c2a52-3d8e-4b9a-9a55-0c8f2f7d9e11"
    assert_error(client.delete(f"/api/template-media/{unknown}", headers=auth_headers()), 404,
                 "media_not_found")
    result = add_media("result", "slot-001", add_job("slot-001"))
    assert_error(client.delete(f"/api/template-media/{result['id']}", headers=auth_headers()),
                 404, "media_not_found")
    assert_error(client.delete(f"/api/template-media/{template['id']}",
                               headers=auth_headers(permissions={"slots:write"})), 403)


def test_bind_on_a_slot_changed_meanwhile_is_409_with_the_current_config(app, template):
    with app.app_context():
        stale = db.session.get(Slot, "slot-010")  # read at version 1 and kept in the session
        assert stale.version == 1
        with db.engine.begin() as other:  # another worker saves the slot meanwhile
            other.execute(Slot.__table__.update().where(Slot.__table__.c.id == "slot-010")
                          .values(version=2, name="changed elsewhere"))
        with pytest.raises(ApiError) as err:
            bind_template("slot-010", template["id"], SYSTEM)
        assert (err.value.status, err.value.code) == (409, "version_conflict")
        assert err.value.details["current_version"] == 2
        current = err.value.details["current"]  # like PUT's 409: the current configuration
        assert (current["id"], current["name"], current["version"]) == (
            "slot-010", "changed elsewhere", 2)
        assert current["template_media_ids"] == []
        assert db.session.get(Slot, "slot-010").template_links == []


def test_bind_refuses_more_templates_than_a_slot_may_hold(client, auth_headers, monkeypatch):
    from photoslot.services.slots import templates

    monkeypatch.setattr(templates, "MAX_TEMPLATES_PER_SLOT", 2)
    ids = [upload(client, auth_headers(), image_bytes("PNG", (40, 30))).get_json()["id"]
           for _ in range(3)]
    for media_id in ids[:2]:
        assert client.post(f"/api/slots/slot-001/template-media/{media_id}",
                           headers=auth_headers()).status_code == 200
    response = client.post(f"/api/slots/slot-001/template-media/{ids[2]}", headers=auth_headers())
    error = assert_error(response, 422, "validation_error")
    assert "template_media_ids" in error["details"]["fields"]
    assert_contract(response)
