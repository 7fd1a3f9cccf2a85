"""The statistics page in Chromium: real ingests over HTTP with mixed outcomes (done, a provider
error from the Gemini fake, a timeout from the local provider's delay) give the right counts, and
the failure-share badge turns red once it passes the seeds' 5 %."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.fakes import gemini as fake_gemini
from tests.ingest_support import configure_slot, set_password
from tests.ui.helpers import expect, ingest, shoot, sign_in

T_SYNC_S = "2"


@pytest.fixture
def gemini() -> Iterator[fake_gemini.FakeGemini]:
    with fake_gemini.FakeGemini() as fake:
        yield fake


@pytest.fixture
def app_env(app_env: dict[str, str], gemini: fake_gemini.FakeGemini) -> dict[str, str]:
    """A short T_sync (a delay past it is a quick 504) and Gemini pointed at its fake."""
    return {**app_env, "PHOTOSLOT_T_SYNC_RESPONSE_S": T_SYNC_S,
            "GEMINI_API_KEY": fake_gemini.DEFAULT_API_KEY,
            "PHOTOSLOT_GEMINI_BASE_URL": gemini.base_url}


def test_mixed_outcomes_give_the_right_counts_and_a_red_badge_past_5_percent(app, live, page):
    set_password(app)
    configure_slot(app, "slot-001", operation="sepia", params={"strength": 1})
    configure_slot(app, "slot-002", operation="sepia", params={"delay_ms": 3000})
    configure_slot(app, "slot-003", provider="gemini", operation="edit",
                   params={"prompt": "a comic cover [fake:status=500]"})
    statuses = [ingest(live, "slot-001", booth=f"BOOTH-{n % 2 + 1}").status_code
                for n in range(19)]
    statuses.append(ingest(live, "slot-003", booth="BOOTH-3").status_code)
    assert statuses == [200] * 19 + [502]

    sign_in(page, live)
    page.get_by_role("link", name="Статистика").click()
    failed = page.locator("#sla-failed")
    expect(failed).to_contain_text("5,0 %")  # 1 of 20: exactly the target still meets it
    expect(failed).to_contain_text("✓ в норме")
    expect(failed).to_have_class("sla ok")
    totals = page.locator("dl.totals")
    expect(totals.locator("div", has_text="Всего запросов")).to_contain_text("20")
    expect(totals.locator("div", has_text="Ошибка провайдера")).to_contain_text("1")

    # The local provider's delay outlasts T_sync: a 504.
    assert ingest(live, "slot-002", booth="BOOTH-1").status_code == 504
    page.get_by_role("button", name="24 часа").click()  # htmx reloads the figures
    expect(failed).to_contain_text("9,5 %")  # 2 of 21
    expect(failed).to_contain_text("✗ хуже цели")
    expect(failed).to_have_class("sla bad")
    expect(page.locator("#sla-within")).to_contain_text("90,5 %")
    expect(totals.locator("div", has_text="Всего запросов")).to_contain_text("21")
    expect(totals.locator("div", has_text="Готово")).to_contain_text("19")
    expect(totals.locator("div", has_text="Таймаут")).to_contain_text("1")
    rows = page.locator("#by-slot tbody tr")
    expect(rows).to_have_count(15)
    expect(rows.nth(0).locator("td").nth(0)).to_have_text("19")
    expect(rows.nth(1).locator("td").nth(2)).to_contain_text("1")  # slot-002's 504
    expect(rows.nth(1).locator("td").nth(4)).to_contain_text("✗ 100,0 %")
    expect(rows.nth(2).locator("td").nth(3)).to_have_text("1")  # slot-003's provider error
    booths = page.locator("#by-booth tbody tr")
    expect(booths.filter(has_text="BOOTH-1").locator("td").first).to_have_text("11")
    expect(booths.filter(has_text="BOOTH-3").locator("td").first).to_have_text("1")
    expect(page.locator("#charts svg rect.o-done")).not_to_have_count(0)
    expect(page.locator("#charts svg rect.o-timeout")).to_have_count(1)
    expect(page.locator("#readiness")).to_contain_text("База данных")
    assert page.url.endswith("/admin/stats?window=24h")
    shoot(page, "60-stats")

    page.get_by_role("button", name="7 дней").click()
    expect(page.get_by_role("button", name="7 дней")).to_have_attribute("aria-current", "true")
    expect(totals.locator("div", has_text="Всего запросов")).to_contain_text("21")
    shoot(page, "61-stats-7d")
