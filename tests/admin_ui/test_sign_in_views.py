"""Sign-in, sign-out and sessions of the admin UI, through the test client."""

from __future__ import annotations

from datetime import timedelta

from photoslot import clock
from tests.admin_ui.conftest import HTMX, csrf, sign_in, text
from tests.support import ADMIN_PASSWORDS


def test_pages_without_a_session_send_the_browser_to_sign_in(client):
    response = client.get("/admin/slots/slot-003?tab=1")
    assert response.status_code == 303
    assert response.headers["Location"] == "/admin/login?next=/admin/slots/slot-003?tab%3D1"
    response = client.get("/admin/", headers=HTMX)  # htmx follows HX-Redirect, not 3xx
    assert (response.status_code, response.headers["HX-Redirect"]) == (401, "/admin/login")


def test_an_expired_session_says_so_on_the_sign_in_page(client):
    sign_in(client)
    assert client.get("/admin/").status_code == 200
    clock.advance(timedelta(hours=24, seconds=1))
    response = client.get("/admin/")
    assert response.headers["Location"] == "/admin/login?reason=expired&next=/admin/"
    page = text(client.get(response.headers["Location"]))
    assert "Сессия истекла — войдите снова" in page


def test_wrong_password_is_401_with_the_message_and_keeps_the_username(client):
    response = client.post("/admin/login", data={"username": "igor", "password": "nope"})
    assert response.status_code == 401
    page = text(response)
    assert "Неверный логин или пароль" in page
    assert 'value="igor"' in page
    assert "access_token_cookie" not in response.headers.get("Set-Cookie", "")


def test_sign_in_goes_to_the_page_asked_for_but_never_off_site(client):
    for asked, landed in (("/admin/slots/slot-002", "/admin/slots/slot-002"),
                          ("https://evil.example/admin", "/admin/"),
                          ("//evil.example/admin", "/admin/")):
        response = client.post("/admin/login", data={
            "username": "serg", "password": ADMIN_PASSWORDS["serg"], "next": asked})
        assert (response.status_code, response.headers["Location"]) == (303, landed)


def test_failed_sign_ins_share_the_limit_with_the_json_api(client):
    for _ in range(5):
        client.post("/api/login", json={"username": "serg", "password": "wrong"})
    response = client.post("/admin/login", data={"username": "serg",
                                                 "password": ADMIN_PASSWORDS["serg"]})
    assert response.status_code == 429
    assert int(response.headers["Retry-After"]) > 0
    assert "Слишком много неудачных попыток. Повторите через" in text(response)


def test_sign_out_clears_the_cookies_and_needs_the_csrf_token_of_a_live_session(client):
    sign_in(client)
    refused = client.post("/admin/logout")
    assert refused.status_code == 403
    assert "Страница устарела" in text(refused)
    response = client.post("/admin/logout", data={"csrf_token": csrf(client)})
    assert (response.status_code, response.headers["Location"]) == (
        303, "/admin/login?reason=signed_out")
    assert client.get_cookie("access_token_cookie") is None
    assert client.get("/admin/").status_code == 303


def test_an_admin_who_is_signed_in_skips_the_form(client):
    sign_in(client)
    response = client.get("/admin/login?next=/admin/slots/slot-001")
    assert (response.status_code, response.headers["Location"]) == (303, "/admin/slots/slot-001")


def test_pages_are_private(admin):
    response = admin.get("/admin/")
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "HX-Request" in response.headers["Vary"]
