"""Admin sessions follow the configuration: removed → 401, narrowed → 403; sign-out clears the
cookies; every cookie-authenticated change needs the CSRF header."""

from __future__ import annotations

import re
import uuid

import pytest

from photoslot.passwords import hash_password
from tests.contract import assert_contract, assert_error
from tests.support import ADMIN_PASSWORDS
from tests.test_login import bearer, login

CHANGING = {"POST", "PUT", "PATCH", "DELETE"}
#: Changes that need no admin token at all.
OPEN_CHANGES = {"/api/login", "/api/logout", "/api/ingest/<slot_id>"}


def only_serg(admins_env: str) -> str:
    return admins_env.split(",igor:")[0]


def test_an_admin_removed_from_the_configuration_is_refused_at_once(make_app, admins_env):
    before = make_app().test_client()
    token = login(before, "igor").get_json()["access_token"]
    assert before.get("/api/settings", headers=bearer(token)).status_code == 200

    after = make_app(PHOTOSLOT_ADMINS=only_serg(admins_env)).test_client()  # restarted without igor
    response = after.get("/api/settings", headers=bearer(token))
    error = assert_error(response, 401, "admin_not_configured")
    assert_contract(response)
    assert error["details"] == {"admin": "igor"}
    # The same holds for the cookie the admin UI uses, and for changes.
    after.set_cookie("access_token_cookie", token)
    assert_error(after.get("/api/slots"), 401, "admin_not_configured")


def test_a_narrowed_admin_loses_the_permission_its_old_token_still_names(make_app, admins_env):
    token = login(make_app().test_client(), "igor").get_json()["access_token"]
    narrowed = (f"{only_serg(admins_env)},"
                f"igor:{hash_password(ADMIN_PASSWORDS['igor'])}:slots:write+stats:read")
    client = make_app(PHOTOSLOT_ADMINS=narrowed).test_client()

    assert client.get("/api/settings", headers=bearer(token)).status_code == 200
    response = client.put("/api/settings", json={"ingest_password": "another-password"},
                          headers=bearer(token))
    error = assert_error(response, 403, "forbidden")
    assert_contract(response)
    assert error["details"] == {"required": "settings:write", "admin": "igor"}
    slot = client.get("/api/slots/slot-002", headers=bearer(token))
    renamed = client.put("/api/slots/slot-002", json={"name": "Still allowed", "version": 1},
                         headers=bearer(token))
    assert (slot.status_code, renamed.status_code) == (200, 200)


def test_logout_answers_204_and_expires_both_cookies(client):
    login(client)
    assert client.get("/api/settings").status_code == 200

    response = client.post("/api/logout")

    assert response.status_code == 204 and response.data == b""
    assert_contract(response)
    cookies = {c.split("=", 1)[0]: c for c in response.headers.getlist("Set-Cookie")}
    assert set(cookies) == {"access_token_cookie", "csrf_access_token"}
    for cookie in cookies.values():
        assert re.search(r"=;|Expires=Thu, 01 Jan 1970", cookie), cookie
    assert_error(client.get("/api/settings"), 401, "unauthorized")


def test_logout_needs_no_valid_token(client):
    client.set_cookie("access_token_cookie", "not.a.token")
    assert client.post("/api/logout").status_code == 204
    assert client.post("/api/logout", headers=bearer("expired.or.forged")).status_code == 204


def changing_routes(app) -> list[tuple[str, str]]:
    """Every cookie-authenticated change the app offers: (method, URL with sample values)."""
    samples = {"slot_id": "slot-001", "media_id": str(uuid.uuid4())}
    found = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/") or rule.rule in OPEN_CHANGES:
            continue
        url = re.sub(r"<(?:[^:>]+:)?(\w+)>", lambda m: samples[m.group(1)], rule.rule)
        found += [(method, url) for method in sorted(rule.methods & CHANGING)]
    return found


def test_every_cookie_authenticated_change_needs_the_csrf_header(app, client):
    routes = changing_routes(app)
    assert len(routes) >= 8, routes  # settings, slots, tests, templates, cleanup, ...
    login(client)
    csrf = client.get_cookie("csrf_access_token").value
    for method, url in routes:
        refused = client.open(url, method=method, json={})
        assert_error(refused, 403, "csrf_failed")
        forged = client.open(url, method=method, json={}, headers={"X-CSRF-TOKEN": "forged"})
        assert_error(forged, 403, "csrf_failed")
        with_header = client.open(url, method=method, json={}, headers={"X-CSRF-TOKEN": csrf})
        assert with_header.status_code not in (401, 403), (method, url, with_header.get_json())


@pytest.mark.parametrize("method", ["GET", "PUT"])
def test_a_cookie_from_another_site_carries_no_csrf_token(client, method):
    """SameSite=Lax keeps the cookie off cross-site POSTs; where a browser sends it anyway
    (same-site, or an old browser), the missing double-submit header still refuses changes."""
    login(client)
    client.delete_cookie("csrf_access_token")
    response = client.open("/api/settings", method=method,
                           json={"ingest_password": "cross-site-change"})
    if method == "GET":
        assert response.status_code == 200  # reads change nothing
    else:
        assert_error(response, 403, "csrf_failed")
