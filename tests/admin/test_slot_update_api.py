"""PUT /api/slots/{slot_id}: validated, versioned, audited changes of a slot (real providers)."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from sqlalchemy import select

from photoslot import clock
from photoslot.extensions import db
from photoslot.models import AuditLog
from tests.admin.conftest import image_bytes
from tests.contract import assert_contract, assert_error

URL = "/api/slots/slot-002"


@pytest.fixture
def app(make_app):
    """The real provider registry (local, gemini, turbotext), with no API keys set."""
    return make_app(GEMINI_API_KEY="", TURBOTEXT_API_KEY="")


def put(client, headers, body, url=URL, **extra_headers):
    return client.put(url, json=body, headers={**headers, **extra_headers})


def register(client, auth_headers, size=(80, 60)) -> str:
    response = client.post("/api/template-media/register", headers=auth_headers(),
                           data={"file": (io.BytesIO(image_bytes("PNG", size)), "t.png")},
                           content_type="multipart/form-data")
    assert response.status_code == 201, response.get_json()
    return response.get_json()["id"]


def slot_audit(app, slot_id: str = "slot-002") -> list[AuditLog]:
    with app.app_context():
        return list(db.session.scalars(
            select(AuditLog).where(AuditLog.entity_id == slot_id, AuditLog.action == "slot.update")
            .order_by(AuditLog.id)))


def test_put_changes_only_the_given_fields_bumps_the_version_and_answers_the_slot(
        client, writer, auth_headers):
    response = put(client, writer, {"name": "Wedding", "operation": "sepia",
                                    "params": {"strength": 0.5}, "version": 1})
    assert response.status_code == 200, response.get_json()
    assert_contract(response)
    body = response.get_json()
    assert response.headers["ETag"] == '"2"'
    assert (body["name"], body["provider"], body["operation"], body["params"]) == (
        "Wedding", "local", "sepia", {"strength": 0.5})
    assert (body["version"], body["enabled"], body["updated_by"]) == (2, False, "serg")
    assert body["ingest_url"] == "http://gateway.test/api/ingest/slot-002"
    assert client.get(URL, headers=auth_headers()).get_json() == body


def test_put_takes_the_version_from_if_match_in_every_form(client, writer):
    for version, if_match in enumerate(['"1"', "2", 'W/"3"'], start=1):
        response = put(client, writer, {"name": f"Take {version}"}, **{"If-Match": if_match})
        assert response.status_code == 200, (if_match, response.get_json())
        assert response.get_json()["version"] == version + 1
    both = put(client, writer, {"name": "Both", "version": 4}, **{"If-Match": '"4"'})
    assert both.status_code == 200
    anything = put(client, writer, {"name": "Any version"}, **{"If-Match": "*"})
    assert anything.get_json()["version"] == 6


def test_put_writes_the_before_after_diff_to_the_audit_journal(app, client, writer):
    assert put(client, writer, {"name": "Wedding", "enabled": True, "operation": "sepia",
                                "params": {"strength": 0.3}, "version": 1}).status_code == 200
    [entry] = slot_audit(app)
    assert (entry.actor, entry.entity) == ("serg", "slot")
    assert entry.changes == {"name": ["Slot 002", "Wedding"], "enabled": [False, True],
                             "operation": ["grayscale", "sepia"],
                             "params": [{}, {"strength": 0.3}]}
    assert entry.request_id


def test_a_put_that_changes_nothing_keeps_the_version_and_writes_no_audit_row(
        app, client, writer, auth_headers):
    before = client.get(URL, headers=auth_headers()).get_json()
    for body in ({"version": 1}, {"name": before["name"], "params": {}, "enabled": False,
                                  "template_media_ids": [], "version": 1}):
        response = put(client, writer, body)
        assert response.status_code == 200, response.get_json()
        assert_contract(response)
        assert response.headers["ETag"] == '"1"'
        assert response.get_json() == before
    assert slot_audit(app) == []
    changed = put(client, writer, {"name": "Now changed", "version": 1})  # the row is not held
    assert changed.get_json()["version"] == 2 and len(slot_audit(app)) == 1


def test_every_bad_field_is_listed_with_its_json_path_and_reason(
        app, client, writer, add_media, add_job):
    job_id = add_job("slot-002")
    result = add_media("result", "slot-002", job_id,
                       expires_at=clock.now() + timedelta(hours=1))
    error = assert_error(put(client, writer, {
        "name": "", "enabled": "yes", "operation": "resize",
        "params": {"max_side": "big", "delay_ms": -5},
        "template_media_ids": ["no-such-id", result["id"], "no-such-id"],
        "colour": "red", "version": 1}), 422, "validation_error")
    fields = error["details"]["fields"]
    assert set(fields) == {"name", "enabled", "params.max_side", "params.delay_ms",
                           "template_media_ids.0", "template_media_ids.1",
                           "template_media_ids.2", "colour"}
    assert "not a template" in fields["template_media_ids.1"]
    assert fields["template_media_ids.2"] == "listed more than once"
    assert fields["colour"] == "not an editable field"
    unknown = assert_error(put(client, writer, {"provider": "acme", "version": 1}), 422)
    assert "unknown provider" in unknown["details"]["fields"]["provider"]
    assert slot_audit(app) == []


def test_an_expired_template_cannot_be_bound(client, writer, add_media):
    old = add_media("template", expires_at=clock.now() - timedelta(minutes=1))
    error = assert_error(put(client, writer, {"template_media_ids": [old["id"]], "version": 1}),
                         422, "validation_error")
    assert "expired" in error["details"]["fields"]["template_media_ids.0"]


def test_a_stale_version_is_409_with_the_current_version_and_config(client, writer):
    assert put(client, writer, {"name": "First", "version": 1}).status_code == 200
    error = assert_error(put(client, writer, {"name": "Second", "version": 1}), 409,
                         "version_conflict")
    assert error["details"]["current_version"] == 2
    current = error["details"]["current"]
    assert (current["name"], current["version"], current["template_media_ids"]) == (
        "First", 2, [])
    assert_contract(put(client, writer, {"name": "Third", "version": 1}))


def test_the_version_is_required_and_must_be_well_formed(client, writer):
    missing = assert_error(put(client, writer, {"name": "x"}), 428, "version_required")
    assert "version" in missing["details"]["fields"]
    assert_contract(put(client, writer, {"name": "x"}))
    bad_body = assert_error(put(client, writer, {"version": "1"}), 422, "validation_error")
    assert set(bad_body["details"]["fields"]) == {"version"}
    bad_header = assert_error(put(client, writer, {}, **{"If-Match": '"1", "2"'}), 422)
    assert set(bad_header["details"]["fields"]) == {"If-Match"}
    disagree = assert_error(put(client, writer, {"version": 1}, **{"If-Match": '"2"'}), 422)
    assert "disagrees" in disagree["details"]["fields"]["version"]
    assert_error(client.put(URL, data="not json", headers=writer,
                            content_type="application/json"), 422, "validation_error")


def test_put_on_an_unknown_slot_is_404(client, writer):
    response = put(client, writer, {"name": "x", "version": 1}, url="/api/slots/slot-099")
    assert_error(response, 404, "slot_not_found")
    assert_contract(response)


def test_put_needs_a_token_and_slots_write(client, auth_headers):
    assert_error(put(client, {}, {"name": "x", "version": 1}), 401)
    response = put(client, auth_headers(permissions={"media:write"}), {"name": "x", "version": 1})
    assert_error(response, 403, "forbidden")
    assert_contract(response)


def test_a_provider_without_api_key_can_be_configured_but_not_enabled(client, writer):
    gemini = {"provider": "gemini", "operation": "edit", "params": {"prompt": "Make it pop"}}
    refused = assert_error(put(client, writer, {**gemini, "enabled": True, "version": 1}), 422)
    assert refused["details"]["fields"] == {
        "enabled": "provider 'gemini' is not configured: set GEMINI_API_KEY"}
    assert put(client, writer, {**gemini, "version": 1}).get_json()["enabled"] is False


def test_an_operation_that_needs_a_template_cannot_be_enabled_without_one(
        client, writer, auth_headers):
    frame = {"operation": "frame", "params": {"opacity": 0.8}, "enabled": True}
    refused = assert_error(put(client, writer, {**frame, "version": 1}), 422)
    assert "needs a template" in refused["details"]["fields"]["enabled"]

    template_id = register(client, auth_headers)
    body = put(client, writer, {**frame, "template_media_ids": [template_id], "version": 1})
    assert body.status_code == 200, body.get_json()
    assert [t["id"] for t in body.get_json()["template_media"]] == [template_id]
    # ... and the admin cannot take the last template away while the slot is on.
    assert_error(put(client, writer, {"template_media_ids": [], "version": 2}), 422)
    assert_error(client.delete(f"{URL}/template-media/{template_id}", headers=writer), 422,
                 "template_required")
    off = put(client, writer, {"enabled": False, "template_media_ids": [], "version": 2})
    assert off.status_code == 200 and off.get_json()["template_media"] == []


def test_template_media_ids_replace_the_bound_list_in_order(app, client, writer, auth_headers):
    first, second, third = (register(client, auth_headers) for _ in range(3))
    assert put(client, writer, {"template_media_ids": [first, second],
                                "version": 1}).status_code == 200
    response = put(client, writer, {"template_media_ids": [third, first]},
                   **{"If-Match": '"2"'})
    assert response.status_code == 200
    assert_contract(response)
    bound = response.get_json()["template_media"]
    assert [(t["id"], t["position"]) for t in bound] == [(third, 0), (first, 1)]
    assert all(t["url"].startswith("http://gateway.test/public/media/") for t in bound)
    assert all(t["thumbnail_url"].startswith("http://gateway.test/public/thumbnails/")
               for t in bound)
    listed = client.get("/api/template-media", headers=auth_headers()).get_json()
    assert {t["id"]: t["slots"] for t in listed["template_media"]} == {
        first: ["slot-002"], second: [], third: ["slot-002"]}
    assert slot_audit(app)[-1].changes == {"template_media_ids": [[first, second],
                                                                  [third, first]]}
