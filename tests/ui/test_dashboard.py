"""The dashboard in Chromium: the 15 cards, their live refresh and the quick on/off."""

from __future__ import annotations

import re
from datetime import timedelta

from photoslot import clock
from photoslot.extensions import db
from photoslot.models import JobHistory
from photoslot.services.audit import Actor
from photoslot.services.slots.configure import update_slot
from tests.ingest_support import (
    configure_slot,
    set_password,
)
from tests.ui.helpers import expect, ingest, shoot, sign_in


def add_failures(app, slot_id: str, timeouts: int, errors: int) -> None:
    with app.app_context():
        for status, count in (("timeout", timeouts), ("error", errors)):
            for n in range(count):
                started = clock.now() - timedelta(minutes=5 + n)
                db.session.add(JobHistory(slot_id=slot_id, provider="local",
                                          operation="sepia", status=status, started_at=started,
                                          finished_at=started, error_code="provider_timeout"
                                          if status == "timeout" else "provider_error"))
        db.session.commit()


def test_cards_refresh_themselves_and_show_warnings(app, page, live):
    set_password(app)
    configure_slot(app, "slot-001", operation="sepia", params={"strength": 1})
    configure_slot(app, "slot-004", provider="gemini", operation="edit",
                   params={"prompt": "a comic cover"}, enabled=False)
    add_failures(app, "slot-005", timeouts=2, errors=1)
    page.clock.install()
    sign_in(page, live)
    card = page.locator("#card-slot-001")
    expect(card).to_contain_text("задач ещё не было")
    expect(page.locator("#card-slot-004 .warnings")).to_contain_text(
        "Провайдер gemini не настроен: set GEMINI_API_KEY")
    expect(page.locator("#card-slot-005 .warnings")).to_contain_text(
        "За последний час: таймаутов — 2, ошибок провайдера — 1")

    configure_slot(app, "slot-002", operation="grayscale")
    configure_slot(app, "slot-006", operation="sepia", params={"strength": 0.6})
    for slot_id in ("slot-001", "slot-002", "slot-006"):
        assert ingest(live, slot_id).status_code == 200
    page.clock.run_for(10_500)  # the next poll of the card grid
    expect(card).to_contain_text("✓ Готово")
    expect(card).to_contain_text("100 % из 1")
    expect(card.locator(".thumb img")).to_have_attribute("src", re.compile("/public/thumbnails/"))
    expect(card.locator(".thumb img")).to_have_js_property("complete", True)
    page.clock.run_for(1_000)  # let the swapped cards finish their CSS transitions
    shoot(page, "10-dashboard")


def test_quick_toggle_switches_a_slot_and_respects_the_version(app, page, live, console_errors):
    console_errors.expect_status(409, 422)
    configure_slot(app, "slot-002", operation="grayscale", enabled=True)
    configure_slot(app, "slot-004", provider="gemini", operation="edit",
                   params={"prompt": "x"}, enabled=False)
    sign_in(page, live)

    page.locator("#toggle-slot-002").click()
    card = page.locator("#card-slot-002")
    expect(card).to_contain_text("○ Выключен")
    expect(page.locator("#flash")).to_have_text("✓ Slot 002 (slot-002) выключен.")
    expect(page.locator("#toggle-slot-002")).to_have_text("Включить")

    with app.app_context():  # igor switches slot-003 on while the card still shows it off
        update_slot("slot-003", {"enabled": True}, Actor("igor"))
    page.locator("#toggle-slot-003").click()
    expect(page.locator("#flash")).to_contain_text("Slot 003 только что изменил igor")
    expect(page.locator("#card-slot-003")).to_contain_text("● Включён")  # the current state
    expect(page.locator("#toggle-slot-003")).to_have_text("Выключить")

    page.locator("#toggle-slot-004").click()  # gemini has no API key here
    expect(page.locator("#flash")).to_contain_text(
        "Нельзя включить: провайдер gemini не настроен (set GEMINI_API_KEY)")
    expect(page.locator("#card-slot-004")).to_contain_text("○ Выключен")
    shoot(page, "11-dashboard-toggle-refused")

    page.locator("#toggle-slot-002").focus()
    page.keyboard.press("Enter")  # keyboard-operable
    expect(page.locator("#card-slot-002")).to_contain_text("● Включён")
