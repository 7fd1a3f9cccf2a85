"""An admin whose PHOTOSLOT_ADMINS entry narrows his permissions (``igor:<hash>:slots:write``)
gets the part-2 pages shaped by them: read-only settings, no cleanup button, a note instead of
statistics — never an error page."""

from __future__ import annotations

from photoslot.passwords import hash_password
from tests.support import ADMIN_PASSWORDS
from tests.ui.helpers import expect, shoot, sign_in


def test_a_narrowed_admin_sees_read_only_settings_and_no_cleanup_button(page, start_live):
    admins = ",".join([f"serg:{hash_password(ADMIN_PASSWORDS['serg'])}",
                       f"igor:{hash_password(ADMIN_PASSWORDS['igor'])}:slots:write"])
    live = start_live(PHOTOSLOT_ADMINS=admins)
    sign_in(page, live, "igor")

    page.get_by_role("link", name="Настройки").click()
    expect(page.get_by_role("note")).to_contain_text("Только просмотр")
    expect(page.get_by_label("Новый пароль")).to_be_disabled()
    expect(page.get_by_role("button", name="Сменить пароль")).to_be_disabled()
    expect(page.get_by_role("button", name="Проверить сейчас")).to_be_enabled()
    shoot(page, "52-settings-read-only")

    page.get_by_role("link", name="Хранилище").click()
    expect(page.locator("#storage-volume")).to_contain_text("Входные фото")
    expect(page.get_by_role("button", name="Предпросмотр очистки")).to_have_count(0)
    expect(page.get_by_role("note")).to_contain_text("нет права «maintenance:write»")
    shoot(page, "82-storage-read-only")

    page.get_by_role("link", name="Статистика").click()
    expect(page.get_by_role("note")).to_contain_text("нет права «stats:read»")
    expect(page.locator("#readiness")).to_contain_text("Готовность сервиса")
    shoot(page, "62-stats-no-permission")

    page.get_by_role("link", name="Журнал").click()
    expect(page.locator("li.entry").first).to_contain_text("Вход")
    expect(page.locator("li.entry").first).to_contain_text("igor")
