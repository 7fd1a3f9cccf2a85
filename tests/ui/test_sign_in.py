"""Signing in and out of the admin UI in Chromium: messages, limits, expired sessions."""

from __future__ import annotations

import re

from tests.ui.helpers import expect, expired_session_cookie, shoot, sign_in


def test_wrong_password_shows_the_message_and_sign_in_shows_all_15_slots(page, live,
                                                                       console_errors):
    console_errors.expect_status(401)
    page.goto(f"{live.base_url}/admin/")
    expect(page).to_have_url(f"{live.base_url}/admin/login?next=/admin/")
    shoot(page, "01-sign-in")

    sign_in(page, live, password="not-the-password")
    expect(page.get_by_role("alert")).to_have_text("✗ Неверный логин или пароль")
    expect(page.get_by_label("Логин")).to_have_value("serg")
    shoot(page, "02-sign-in-wrong-password")

    page.get_by_label("Пароль").fill("serg-test-password")
    page.get_by_label("Пароль").press("Enter")
    expect(page).to_have_url(f"{live.base_url}/admin/")
    expect(page.locator("article.slot-card")).to_have_count(15)
    expect(page.locator("#card-slot-001")).to_contain_text("slot-001")
    expect(page.locator("#card-slot-015")).to_contain_text("Выключен")
    expect(page.locator(".who")).to_have_text("Вы: serg")


def test_too_many_wrong_passwords_say_how_long_to_wait(page, start_live, console_errors):
    console_errors.expect_status(401, 429)
    live = start_live(PHOTOSLOT_LOGIN_LIMIT_PER_USER="2 per minute")
    for _ in range(2):
        sign_in(page, live, password="guess")
        expect(page.get_by_role("alert")).to_have_text("✗ Неверный логин или пароль")
    sign_in(page, live)  # even the right password waits until the window has passed
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("Слишком много неудачных попыток. Повторите через")
    expect(alert).to_have_text(re.compile(r"Повторите через (\d+ с|1 мин)\."))
    shoot(page, "03-sign-in-rate-limited")


def test_sign_out_clears_the_session(page, live):
    sign_in(page, live)
    page.get_by_role("button", name="Выйти").click()
    expect(page.get_by_role("status").filter(has_text="Вы вышли")).to_be_visible()
    page.goto(f"{live.base_url}/admin/")
    expect(page).to_have_url(f"{live.base_url}/admin/login?next=/admin/")
    assert not [c for c in page.context.cookies() if c["name"] == "access_token_cookie"]


def test_an_expired_session_sends_the_polling_dashboard_to_sign_in(app, page, live,
                                                                  console_errors):
    console_errors.expect_status(401)
    page.clock.install()
    sign_in(page, live)
    expect(page.locator("article.slot-card")).to_have_count(15)
    page.context.add_cookies([expired_session_cookie(app, live)])
    page.clock.run_for(10_500)  # the card grid's next poll gets 401 + HX-Redirect
    expect(page).to_have_url(f"{live.base_url}/admin/login?reason=expired")
    expect(page.get_by_role("status").filter(has_text="Сессия истекла")).to_be_visible()
    shoot(page, "04-sign-in-session-expired")
