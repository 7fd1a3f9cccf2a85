"""GET/PUT /api/settings: ingest-password rotation, metadata only, audited, fresh everywhere."""

from __future__ import annotations

import pytest
import requests
from sqlalchemy import select

from photoslot.errors import ApiError
from photoslot.extensions import db
from photoslot.models import AuditLog
from photoslot.providers import DRIVERS
from photoslot.services.audit import Actor
from photoslot.services.ingest.password import authorize_ingest, check_ingest_password
from photoslot.services.settings import ingest_password_setting, rotate_ingest_password
from tests.contract import assert_contract, assert_error
from tests.workers import spread_requests


def put_password(client, password, headers):
    response = client.put("/api/settings", json={"ingest_password": password}, headers=headers)
    assert_contract(response)
    return response


def test_settings_before_any_rotation_say_not_set(client, auth_headers):
    response = client.get("/api/settings", headers=auth_headers("igor", {"stats:read"}))
    assert response.status_code == 200
    assert_contract(response)
    body = response.get_json()
    assert body["ingest_password"] == {"set": False, "updated_at": None, "updated_by": None}
    assert (body["t_sync_response_s"], body["result_ttl_h"], body["max_upload_mb"]) == (60, 72, 20)
    assert set(body["providers"]) == set(DRIVERS)
    assert all(set(p) == {"configured"} for p in body["providers"].values())


def test_rotation_stores_only_a_hash_and_takes_effect_at_once(app, client, auth_headers):
    response = put_password(client, "first-ingest-pw", auth_headers("serg"))
    assert response.status_code == 200
    meta = response.get_json()["ingest_password"]
    assert meta["set"] is True and meta["updated_by"] == "serg"
    with app.app_context():
        assert check_ingest_password("first-ingest-pw") is True
        row = ingest_password_setting()
        assert row.value.startswith("$argon2id$") and "first-ingest-pw" not in row.value

    put_password(client, "second-ingest-pw", auth_headers("igor"))
    with app.app_context():
        assert check_ingest_password("second-ingest-pw") is True
        assert check_ingest_password("first-ingest-pw") is False
    meta = client.get("/api/settings", headers=auth_headers()).get_json()["ingest_password"]
    assert meta["updated_by"] == "igor"


def test_get_never_reveals_the_password_or_its_hash(app, client, auth_headers):
    put_password(client, "very-secret-ingest", auth_headers())
    with app.app_context():
        stored_hash = ingest_password_setting().value
    for response in (client.get("/api/settings", headers=auth_headers()),
                     put_password(client, "very-secret-ingest", auth_headers())):
        raw = response.get_data(as_text=True)
        assert "very-secret-ingest" not in raw
        assert stored_hash not in raw and "$argon2" not in raw


def test_rotation_is_audited_with_the_secret_masked(app, client, auth_headers):
    put_password(client, "audited-password-1", auth_headers("serg"))
    put_password(client, "audited-password-2", auth_headers("igor"))
    with app.app_context():
        rows = db.session.scalars(
            select(AuditLog).where(AuditLog.entity == "setting").order_by(AuditLog.id)).all()
    assert [(r.actor, r.action, r.entity_id, r.changes) for r in rows] == [
        ("serg", "settings_changed", "ingest_password", {"ingest_password": [None, "***"]}),
        ("igor", "settings_changed", "ingest_password", {"ingest_password": ["***", "***"]}),
    ]
    assert all(r.remote_addr == "127.0.0.1" and r.request_id for r in rows)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"ingest_password": "short"}, "ingest_password"),
        ({"ingest_password": 12345678}, "ingest_password"),
        ({"ingest_password": "x" * 257}, "ingest_password"),
        ({}, "ingest_password"),
        ({"ingest_password": "long-enough", "t_sync_response_s": 5}, "t_sync_response_s"),
    ],
)
def test_invalid_settings_get_422_with_field_details(app, client, auth_headers, body, field):
    response = client.put("/api/settings", json=body, headers=auth_headers())
    error = assert_error(response, 422, "validation_error")
    assert field in error["details"]["fields"]
    assert_contract(response)
    with app.app_context():
        assert ingest_password_setting() is None


def test_changing_settings_needs_settings_write(client, auth_headers):
    response = put_password(client, "not-allowed-pw", auth_headers("igor", {"slots:write"}))
    assert_error(response, 403, "forbidden")
    assert_error(client.put("/api/settings", json={"ingest_password": "anonymous-pw"}), 401)


def test_ingest_is_refused_until_a_password_is_set(app):
    with app.app_context():
        with pytest.raises(ApiError) as refused:
            authorize_ingest("anything")
        assert (refused.value.status, refused.value.code) == (401, "ingest_password_not_set")
        assert "not set" in refused.value.message
        rotate_ingest_password("booth-password", Actor("serg"))
        authorize_ingest("booth-password")
        for wrong in ("other-password", "", None):
            with pytest.raises(ApiError) as denied:
                authorize_ingest(wrong)
            assert (denied.value.status, denied.value.code) == (401, "invalid_ingest_password")


def test_rotation_is_seen_at_once_by_both_gunicorn_workers(app, gunicorn_server, auth_headers):
    server = gunicorn_server(workers=2)

    def get_settings(headers):
        return requests.get(f"{server.base_url}/api/settings",
                            headers={**auth_headers(), **headers}, timeout=10)

    for rotation, (admin, password) in enumerate(
        [("serg", "rotated-password-1"), ("igor", "rotated-password-2")]
    ):
        put = requests.put(f"{server.base_url}/api/settings", headers=auth_headers(admin),
                           json={"ingest_password": password}, timeout=10)
        assert put.status_code == 200, put.text
        assert_contract(put)
        expected = put.json()["ingest_password"]
        answered = spread_requests(server, get_settings, at_least=20)
        assert len({pid for _, pid in answered}) == 2, "both workers must have answered"
        for response, _ in answered:
            assert response.json()["ingest_password"] == expected, rotation
            assert password not in response.text
        assert_contract(answered[0][0])
        with app.app_context():
            assert check_ingest_password(password) is True
            assert check_ingest_password("rotated-password-1") is (rotation == 0)


def test_the_ingest_answers_exactly_what_authorize_ingest_raises(app, client):
    from tests.ingest_support import booth_parts, configure_slot, content_type, multipart
    from tests.ingest_support import photo_bytes as photo

    configure_slot(app)

    def upload_with(password):
        response = client.post("/api/ingest/slot-003", content_type=content_type(),
                               data=multipart(booth_parts(photo(), password=password)))
        return response.status_code, response.get_json()["error"]

    def raised_by(password):
        with app.app_context(), pytest.raises(ApiError) as raised:
            authorize_ingest(password)
        error = raised.value
        return error.status, {"code": error.code, "message": error.message, "details": {}}

    assert upload_with("anything") == raised_by("anything")  # not set yet
    with app.app_context():
        rotate_ingest_password("booth-password", Actor("serg"))
    assert upload_with("wrong-password") == raised_by("wrong-password")
