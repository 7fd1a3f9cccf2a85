"""The slot page's configuration form in Chromium: provider/operation selects, the params form
generated from the JSON Schema, 422 errors beside fields, and the 409 conflict view."""

from __future__ import annotations

import re

from photoslot.extensions import db
from photoslot.models import Slot
from tests.ingest_support import configure_slot
from tests.ui.helpers import expect, shoot, sign_in


def slot_version(app, slot_id: str = "slot-003") -> int:
    with app.app_context():
        return db.session.get(Slot, slot_id).version


def test_out_of_range_value_shows_its_error_then_the_fix_is_saved(app, page, live,
                                                                  console_errors):
    console_errors.expect_status(422)
    configure_slot(app, "slot-003", provider="gemini", operation="edit",
                   params={"prompt": "a 1950s comic cover"}, enabled=False)
    version = slot_version(app)
    sign_in(page, live)
    page.get_by_role("link", name="Настроить Slot 003").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Slot 003")
    expect(page.get_by_label("Промпт")).to_have_value("a 1950s comic cover")
    shoot(page, "20-slot-page")

    # The operations reload through htmx ("Провайдер" alone: another field's label holds the word)
    page.get_by_label("Провайдер", exact=True).select_option("local")
    expect(page.get_by_label("Операция")).to_contain_text("sepia")
    # htmx wires the swapped-in select up when it settles (and drops "htmx-added" then); a
    # change before that would go unheard — a loaded machine makes that window long.
    expect(page.locator("#provider-fields .htmx-added")).to_have_count(0)
    page.get_by_label("Операция").select_option("sepia")  # and so do the params
    strength = page.get_by_label("Сила эффекта")
    expect(page.locator("#param-strength-help")).to_contain_text("от 0 до 1")
    strength.fill("5")
    page.get_by_role("button", name="Сохранить").click()
    expect(page.locator("#param-strength-error")).to_have_text("⚠ Не больше 1")
    expect(page.get_by_label("Сила эффекта")).to_have_value("5")  # the input is kept
    expect(page.get_by_label("Сила эффекта")).to_have_attribute("aria-invalid", "true")
    shoot(page, "21-slot-field-error")
    assert slot_version(app) == version

    page.get_by_label("Сила эффекта").fill("0,5")  # a decimal comma, as typed in Russia
    page.get_by_role("button", name="Сохранить").click()
    expect(page.get_by_role("status").filter(has_text="Слот сохранён")).to_have_text(
        f"✓ Слот сохранён — версия {version + 1}")
    expect(page.locator("#slot-heading")).to_contain_text(f"версия {version + 1}")
    expect(page.locator("#param-strength-error")).to_have_count(0)
    with app.app_context():
        slot = db.session.get(Slot, "slot-003")
        assert (slot.provider, slot.operation, slot.params, slot.version, slot.updated_by) == (
            "local", "sepia", {"strength": 0.5}, version + 1, "serg")
    shoot(page, "22-slot-saved")


def test_a_save_by_another_admin_meanwhile_shows_the_conflict_and_keeps_the_input(
        app, new_page, live, console_errors):
    console_errors.expect_status(409)
    configure_slot(app, "slot-003", operation="sepia", params={"strength": 1}, enabled=False)
    serg, igor = new_page(), new_page()
    sign_in(serg, live, "serg")
    sign_in(igor, live, "igor")
    for page in (serg, igor):
        page.goto(f"{live.base_url}/admin/slots/slot-003")

    igor.get_by_label("Название").fill("Свадьба Ивановых")
    igor.get_by_label("Сила эффекта").fill("0.2")
    igor.get_by_role("button", name="Сохранить").click()
    expect(igor.get_by_role("status").filter(has_text="Слот сохранён")).to_be_visible()

    serg.get_by_label("Сила эффекта").fill("0.7")
    serg.get_by_role("button", name="Сохранить").click()
    conflict = serg.locator("#conflict")
    expect(conflict).to_contain_text("Пока вы редактировали, слот изменил igor")
    name_row = conflict.locator("tr", has_text="Название")
    expect(name_row).to_have_class("theirs")
    expect(name_row).to_contain_text("изменил igor — принято")
    expect(name_row).to_contain_text(re.compile(r"Slot 003\s*Свадьба Ивановых\s*Slot 003"))
    strength_row = conflict.locator("tr", has_text="Параметр strength")
    expect(strength_row).to_contain_text("изменили оба — в форме ваш вариант")
    expect(strength_row).to_contain_text(re.compile(r"1\s*0\.2\s*0\.7"))
    # The form holds both: igor's new name, and serg's unsaved strength.
    expect(serg.get_by_label("Название")).to_have_value("Свадьба Ивановых")
    expect(serg.get_by_label("Сила эффекта")).to_have_value("0.7")
    expect(conflict.get_by_role("button", name="Загрузить текущую версию")).to_be_visible()
    shoot(serg, "23-slot-conflict")

    serg.get_by_role("button", name="Сохранить").click()
    expect(serg.get_by_role("status").filter(has_text="Слот сохранён")).to_be_visible()
    with app.app_context():
        slot = db.session.get(Slot, "slot-003")
        assert (slot.name, slot.params, slot.updated_by) == (
            "Свадьба Ивановых", {"strength": 0.7}, "serg")
