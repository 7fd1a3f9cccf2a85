"""POST /api/login, the JWT it issues (24 h by our clock), its cookie twin and CSRF."""

from __future__ import annotations

import json
from datetime import timedelta

import jwt
import pytest
from sqlalchemy import select

from photoslot import clock
from photoslot.config import ALL_PERMISSIONS
from photoslot.extensions import db
from photoslot.models import AuditLog
from photoslot.passwords import hash_password
from tests.contract import assert_contract, assert_error
from tests.support import ADMIN_PASSWORDS, SECRET_KEY


def login(client, username="serg", password=None, **kwargs):
    password = ADMIN_PASSWORDS[username] if password is None else password
    response = client.post("/api/login", json={"username": username, "password": password},
                           **kwargs)
    assert_contract(response)
    return response


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_good_login_returns_a_bearer_token_with_all_permissions(client):
    response = login(client)
    assert response.status_code == 200
    body = response.get_json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 86400
    assert body["permissions"] == sorted(ALL_PERMISSIONS)
    claims = jwt.decode(body["access_token"], SECRET_KEY, algorithms=["HS256"])
    assert claims["sub"] == "serg"
    assert claims["permissions"] == sorted(ALL_PERMISSIONS)
    assert claims["exp"] - claims["iat"] == 86400


def test_token_works_for_24_hours_by_our_clock_and_not_after(client):
    token = login(client).get_json()["access_token"]
    clock.advance(timedelta(hours=23, minutes=59, seconds=59))
    response = client.get("/api/settings", headers=bearer(token))
    assert response.status_code == 200
    assert_contract(response)
    clock.advance(timedelta(seconds=1))
    response = client.get("/api/settings", headers=bearer(token))
    assert_error(response, 401, "token_expired")
    assert_contract(response)


def test_token_issued_while_the_clock_is_moved_is_valid_from_then(client):
    clock.advance(timedelta(days=40))
    token = login(client).get_json()["access_token"]
    claims = jwt.decode(token, options={"verify_signature": False})
    assert claims["iat"] == claims["nbf"]
    assert abs(claims["iat"] - clock.now().timestamp()) < 60  # 40 days ahead of the wall clock
    assert client.get("/api/settings", headers=bearer(token)).status_code == 200
    clock.advance(timedelta(hours=24))
    assert_error(client.get("/api/settings", headers=bearer(token)), 401, "token_expired")


def test_wrong_password_and_unknown_user_get_the_same_401(client):
    wrong_password = login(client, "serg", "not-the-password")
    unknown_user = login(client, "mallory", "not-the-password")
    assert_error(wrong_password, 401, "invalid_credentials")
    assert_error(unknown_user, 401, "invalid_credentials")
    assert wrong_password.get_json() == unknown_user.get_json()
    assert "access_token_cookie" not in wrong_password.headers.get("Set-Cookie", "")


def test_login_needs_a_json_body_with_both_fields(client):
    for body in ({"username": "serg"}, {"username": "", "password": "x"}, ["serg"],
                 {"username": "serg", "password": 12345678}):
        response = client.post("/api/login", json=body)
        assert_error(response, 422, "validation_error")
        assert_contract(response)
    response = client.post("/api/login", data="username=serg&password=x",
                           content_type="application/x-www-form-urlencoded")
    assert_error(response, 422, "validation_error")


def test_logins_are_audited_with_the_password_masked(app, client):
    login(client)
    login(client, "serg", "wrong-password-attempt")
    login(client, "mallory", "another-wrong-attempt")
    with app.app_context():
        rows = db.session.scalars(select(AuditLog).order_by(AuditLog.id)).all()
    assert [(r.actor, r.action, r.entity, r.entity_id) for r in rows] == [
        ("serg", "login", "admin", "serg"),
        ("anonymous", "login_failed", "admin", "serg"),
        ("anonymous", "login_failed", "admin", "mallory"),
    ]
    assert all(r.changes["password"] == [None, "***"] for r in rows)
    assert all(r.remote_addr == "127.0.0.1" and r.request_id for r in rows)
    dumped = json.dumps([r.changes for r in rows])
    for secret in (ADMIN_PASSWORDS["serg"], "wrong-password-attempt", "another-wrong-attempt"):
        assert secret not in dumped


def test_narrowed_admin_gets_only_its_permissions_and_403_on_settings(make_app, admins_env):
    serg = admins_env.split(",igor:")[0]
    narrowed = f"{serg},igor:{hash_password(ADMIN_PASSWORDS['igor'])}:slots:write+stats:read"
    client = make_app(PHOTOSLOT_ADMINS=narrowed).test_client()
    body = login(client, "igor").get_json()
    assert body["permissions"] == ["slots:write", "stats:read"]
    headers = bearer(body["access_token"])
    assert client.get("/api/settings", headers=headers).status_code == 200
    response = client.put("/api/settings", json={"ingest_password": "new-password"},
                          headers=headers)
    error = assert_error(response, 403, "forbidden")
    assert error["details"]["required"] == "settings:write"
    assert_contract(response)


def test_login_sets_httponly_lax_cookie_and_readable_csrf_cookie(client):
    response = login(client)
    cookies = {c.split("=", 1)[0]: c for c in response.headers.getlist("Set-Cookie")}
    access, csrf = cookies["access_token_cookie"], cookies["csrf_access_token"]
    assert "HttpOnly" in access and "SameSite=Lax" in access and "Max-Age=86400" in access
    assert "HttpOnly" not in csrf and "SameSite=Lax" in csrf
    # http:// public base URL in tests; https:// deployments get Secure cookies.
    assert "Secure" not in access


def test_cookie_authenticated_change_needs_the_csrf_header(client):
    login(client)
    assert client.get("/api/settings").status_code == 200  # reads need no CSRF header
    change = {"ingest_password": "cookie-set-password"}

    missing = client.put("/api/settings", json=change)
    assert_error(missing, 403, "csrf_failed")
    assert_contract(missing)
    wrong = client.put("/api/settings", json=change, headers={"X-CSRF-TOKEN": "forged"})
    assert_error(wrong, 403, "csrf_failed")

    csrf = client.get_cookie("csrf_access_token").value
    response = client.put("/api/settings", json=change, headers={"X-CSRF-TOKEN": csrf})
    assert response.status_code == 200
    assert response.get_json()["ingest_password"]["updated_by"] == "serg"
    assert_contract(response)


def test_bearer_header_needs_no_csrf_header(client):
    token = login(client).get_json()["access_token"]
    client.delete_cookie("access_token_cookie")
    response = client.put("/api/settings", json={"ingest_password": "bearer-password"},
                          headers=bearer(token))
    assert response.status_code == 200


def _forged(payload_changes=None, key=SECRET_KEY, algorithm="HS256", headers=None) -> str:
    now = int(clock.now().timestamp())
    payload = {"sub": "serg", "type": "access", "iat": now, "nbf": now, "exp": now + 3600,
               "permissions": sorted(ALL_PERMISSIONS), **(payload_changes or {})}
    return jwt.encode(payload, key, algorithm=algorithm, headers=headers)


@pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")  # the HS512 forgery
def test_missing_malformed_unsigned_forged_and_stale_tokens_get_401(client):
    assert_error(client.get("/api/settings"), 401, "unauthorized")
    cases = {
        "malformed": ("not.a.jwt", "invalid_token"),
        "garbage": ("Zm9v", "invalid_token"),
        "alg_none": (_forged(key=None, algorithm="none"), "invalid_token"),
        "wrong_key": (_forged(key="some-other-secret-key-of-enough-length-000"), "invalid_token"),
        "hs512": (_forged(algorithm="HS512"), "invalid_token"),
        "expired": (_forged({"exp": int(clock.now().timestamp()) - 1}), "token_expired"),
        "not_yet_valid": (_forged({"nbf": int(clock.now().timestamp()) + 600}), "invalid_token"),
        "no_exp": (_forged({"exp": None}), "invalid_token"),
    }
    for name, (token, code) in cases.items():
        response = client.get("/api/settings", headers=bearer(token))
        assert response.status_code == 401, name
        assert_error(response, 401, code)
        assert_contract(response)


def test_signature_is_checked_before_claims(client):
    tampered = _forged().split(".")
    other = _forged({"sub": "igor"}).split(".")
    token = ".".join([tampered[0], other[1], tampered[2]])
    assert_error(client.get("/api/settings", headers=bearer(token)), 401, "invalid_token")


def test_forged_identities_and_permissions_get_nothing(make_app, admins_env):
    """Claims are only believed as far as the configuration goes: an unknown admin with a valid
    signature is 401, permissions beyond the configured ones are 403, a claim that is not a list
    grants nothing."""
    serg = admins_env.split(",igor:")[0]
    narrowed = f"{serg},igor:{hash_password(ADMIN_PASSWORDS['igor'])}:stats:read"
    client = make_app(PHOTOSLOT_ADMINS=narrowed).test_client()
    change = {"ingest_password": "forged-change"}

    ghost = bearer(_forged({"sub": "mallory"}))
    assert_error(client.get("/api/settings", headers=ghost), 401, "admin_not_configured")
    igor_all = bearer(_forged({"sub": "igor"}))  # claims every permission; igor has stats:read
    assert client.get("/api/settings", headers=igor_all).status_code == 200
    assert_error(client.put("/api/settings", json=change, headers=igor_all), 403, "forbidden")
    as_text = bearer(_forged({"permissions": "settings:write"}))
    assert_error(client.put("/api/settings", json=change, headers=as_text), 403, "forbidden")
    unsigned_all = bearer(_forged({"sub": "igor"}, key=None, algorithm="none"))
    assert_error(client.get("/api/settings", headers=unsigned_all), 401, "invalid_token")
