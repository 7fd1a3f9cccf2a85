"""The settings page in Chromium: rotating the ingest password (it works at once over HTTP and
the journal shows who did it, masked), and the providers' live check against the fake."""

from __future__ import annotations

from tests.fakes import gemini as fake_gemini
from tests.ingest_support import INGEST_PASSWORD, configure_slot, set_password
from tests.ui.helpers import expect, ingest, shoot, sign_in


def test_a_rotated_password_works_at_once_and_the_journal_shows_it(app, page, live,
                                                                    console_errors):
    console_errors.expect_status(401, 422)  # the old password's upload; the mismatched form
    set_password(app)
    configure_slot(app, "slot-001", operation="sepia", params={"strength": 1})
    assert ingest(live, "slot-001", INGEST_PASSWORD).status_code == 200
    sign_in(page, live)
    page.get_by_role("link", name="Настройки").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Настройки")
    expect(page.locator("#password-meta")).to_contain_text("автор — serg")
    expect(page.locator("#limits")).to_contain_text("PHOTOSLOT_T_SYNC_RESPONSE_S")

    page.get_by_label("Новый пароль").fill("short")
    expect(page.locator("#password-strength")).to_contain_text("Слишком короткий")
    page.get_by_label("Повторите пароль").fill("different")
    page.get_by_role("button", name="Сменить пароль").click()
    expect(page.locator("#password-form")).to_contain_text("Пароли не совпадают")

    page.get_by_role("button", name="Сгенерировать").click()
    generated = page.locator("#generated-password").text_content()
    assert len(generated) == 20 and generated.isalnum()
    expect(page.locator("#password-strength")).to_have_text("Надёжность: хорошая.")
    shoot(page, "50-settings-generated")
    page.get_by_role("button", name="Сменить пароль").click()
    expect(page.locator("#password-form .notice.ok")).to_contain_text("Пароль загрузки изменён")
    expect(page.locator("#generated")).to_be_hidden()  # shown once, gone with the answer
    expect(page.locator("#password-meta")).to_contain_text("автор — serg")
    assert generated not in page.content()

    assert ingest(live, "slot-001", INGEST_PASSWORD).status_code == 401
    assert ingest(live, "slot-001", generated).status_code == 200

    page.get_by_role("link", name="Журнал").click()
    rotation = page.locator("li.entry").filter(has_text="Смена настроек").first
    expect(rotation).to_contain_text("serg")
    expect(rotation.locator("tr.changed")).to_contain_text("Пароль загрузки")
    expect(rotation.locator("tr.changed")).to_contain_text("*** (секрет скрыт)")
    assert generated not in page.content() and INGEST_PASSWORD not in page.content()
    shoot(page, "70-journal")


def test_check_now_calls_the_configured_providers(app, start_live, page):
    with fake_gemini.FakeGemini() as gemini:
        live = start_live(GEMINI_API_KEY=fake_gemini.DEFAULT_API_KEY,
                          PHOTOSLOT_GEMINI_BASE_URL=gemini.base_url)
        sign_in(page, live)
        page.goto(f"{live.base_url}/admin/settings")
        turbotext = page.locator("#provider-turbotext")
        expect(turbotext).to_contain_text("✗ Не настроен")
        expect(turbotext).to_contain_text("Задайте переменную окружения TURBOTEXT_API_KEY")
        expect(page.locator("#provider-gemini")).to_contain_text("✓ Настроен")
        page.get_by_role("button", name="Проверить сейчас").click()
        expect(page.locator("#provider-gemini")).to_contain_text(
            "✓ Отвечает model models/gemini-2.5-flash-image reachable")
        expect(turbotext).to_contain_text("не вызывался: не настроен")
        expect(page.locator("#provider-local")).to_contain_text("✓ Отвечает")
        assert [(r.method, r.path) for r in gemini.requests] == [
            ("GET", "/v1beta/models/gemini-2.5-flash-image")]
        shoot(page, "51-settings-providers-checked")
