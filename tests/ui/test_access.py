"""Permissions shape the pages; unknown pages and forms without JavaScript, in Chromium."""

from __future__ import annotations

from photoslot.extensions import db
from photoslot.models import Slot
from photoslot.passwords import hash_password
from tests.ingest_support import configure_slot
from tests.support import ADMIN_PASSWORDS
from tests.ui.helpers import expect, shoot, sign_in


def test_an_admin_narrowed_to_reading_sees_read_only_controls(app, page, start_live):
    admins = ",".join([f"serg:{hash_password(ADMIN_PASSWORDS['serg'])}",
                       f"igor:{hash_password(ADMIN_PASSWORDS['igor'])}:stats:read"])
    live = start_live(PHOTOSLOT_ADMINS=admins)
    sign_in(page, live, "igor")
    expect(page.locator("article.slot-card")).to_have_count(15)
    expect(page.get_by_role("button", name="Включить")).to_have_count(0)

    page.goto(f"{live.base_url}/admin/slots/slot-003")
    expect(page.get_by_role("note")).to_contain_text("Только просмотр")
    expect(page.get_by_label("Название")).to_be_disabled()
    expect(page.get_by_role("button", name="Сохранить")).to_be_disabled()
    expect(page.get_by_role("button", name="Загрузить и привязать")).to_have_count(0)
    expect(page.get_by_role("button", name="Запустить проверку")).to_have_count(0)
    expect(page.locator("#booth-setup")).to_contain_text("/api/ingest/slot-003")
    shoot(page, "40-slot-read-only")


def test_an_unknown_slot_is_a_page_in_russian(page, live, console_errors):
    console_errors.expect_status(404)
    sign_in(page, live)
    page.goto(f"{live.base_url}/admin/slots/slot-999")
    expect(page.get_by_role("heading", level=1)).to_have_text("Не найдено")
    expect(page.get_by_role("alert")).to_contain_text("Слота slot-999 нет")
    shoot(page, "41-not-found")
    page.get_by_role("button", name="К списку слотов").click()
    expect(page.locator("article.slot-card")).to_have_count(15)


def test_the_forms_work_without_javascript(app, new_page, live):
    configure_slot(app, "slot-003", operation="sepia", params={"strength": 1}, enabled=False)
    page = new_page(java_script_enabled=False)
    sign_in(page, live)
    expect(page.locator("article.slot-card")).to_have_count(15)
    page.locator("#toggle-slot-002").click()  # a plain form post: the whole page comes back
    expect(page.locator("#card-slot-002")).to_contain_text("● Включён")

    page.goto(f"{live.base_url}/admin/slots/slot-003")
    page.get_by_label("Операция").select_option("resize")
    page.get_by_role("button", name="Показать параметры операции").click()  # the <noscript> one
    page.get_by_label("Длинная сторона, px").fill("640")
    page.get_by_role("button", name="Сохранить").click()
    expect(page.get_by_role("status").filter(has_text="Слот сохранён")).to_be_visible()
    with app.app_context():
        slot = db.session.get(Slot, "slot-003")
        assert (slot.operation, slot.params) == ("resize", {"max_side": 640})


def test_the_copy_buttons_copy_the_ingest_url_and_the_curl_command(new_page, live):
    page = new_page(permissions=["clipboard-read", "clipboard-write"])
    sign_in(page, live)
    page.goto(f"{live.base_url}/admin/slots/slot-007")
    page.get_by_role("button", name="Копировать адрес для фото").click()
    expect(page.get_by_role("button", name="Копировать адрес для фото")).to_have_text(
        "Скопировано ✓")
    assert page.evaluate("navigator.clipboard.readText()") == (
        f"{live.base_url}/api/ingest/slot-007")
    page.get_by_role("button", name="Копировать команду").click()
    assert page.evaluate("navigator.clipboard.readText()") == (
        "curl -F password='ПАРОЛЬ_ЗАГРУЗКИ' -F fileToUpload=@photo.jpg -o result.jpg "
        f"'{live.base_url}/api/ingest/slot-007'")
