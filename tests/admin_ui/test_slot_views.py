"""The dashboard and slot page views through the test client: the same services and rules as
the JSON API, answered in Russian HTML (whole pages, or partials for htmx)."""

from __future__ import annotations

import io
import re
import uuid

import pytest

from photoslot.extensions import db
from photoslot.models import Slot
from photoslot.passwords import hash_password
from photoslot.services.audit import Actor
from photoslot.services.slots.configure import MAX_TEMPLATES_PER_SLOT, update_slot
from tests.admin_ui.conftest import HTMX, csrf, sign_in, text, words
from tests.ingest_support import bind_template, configure_slot, photo_bytes
from tests.support import ADMIN_PASSWORDS


def version(app, slot_id: str = "slot-003") -> int:
    with app.app_context():
        return db.session.get(Slot, slot_id).version


def sepia_form(form, app, **fields: str) -> dict[str, str]:
    return form(name="Slot 003", provider="local", operation="sepia",
                version=str(version(app)), **fields)


def test_the_dashboard_lists_15_cards_and_its_poll_gets_the_grid_alone(admin):
    page = admin.get("/admin/")
    assert page.status_code == 200
    assert page.get_data(True).count('class="slot-card') == 15
    assert "<html" in page.get_data(True)
    grid = admin.get("/admin/", headers=HTMX)
    assert grid.get_data(True).lstrip().startswith('<div id="slot-cards"')
    assert 'hx-trigger="every 10s"' in grid.get_data(True)


def test_saving_shows_field_errors_then_saves_with_the_version_bumped(app, admin, form):
    before = version(app)
    refused = admin.post("/admin/slots/slot-003", data=sepia_form(
        form, app, **{"params.strength": "3", "params.delay_ms": "abc"}), headers=HTMX)
    assert refused.status_code == 422
    html = text(refused)
    assert re.search(r'id="param-strength-error" role="alert">.*Не больше 1', html)
    assert re.search(r'id="param-delay_ms-error" role="alert">.*Должно быть целым числом', html)
    assert 'value="abc"' in html  # what was typed stays
    assert version(app) == before

    saved = admin.post("/admin/slots/slot-003", data=sepia_form(
        form, app, **{"params.strength": "0,25"}), headers=HTMX)
    assert saved.status_code == 200
    assert f"Слот сохранён — версия {before + 1}" in text(saved)
    assert 'id="slot-heading" class="page-head" hx-swap-oob="true"' in saved.get_data(True)
    with app.app_context():
        slot = db.session.get(Slot, "slot-003")
        assert (slot.operation, slot.params, slot.version) == ("sepia", {"strength": 0.25},
                                                               before + 1)


def test_an_untouched_form_saves_nothing(app, admin, form):
    configure_slot(app, "slot-003", operation="sepia", params={}, enabled=False)
    before = version(app)
    response = admin.post("/admin/slots/slot-003", data=sepia_form(
        form, app, **{"params.strength": "", "params.delay_ms": ""}))
    assert response.status_code == 200
    assert version(app) == before  # defaults left empty are not written


def test_enabling_a_slot_whose_provider_has_no_key_is_explained(app, admin, form):
    response = admin.post("/admin/slots/slot-003", data=form(
        name="Slot 003", provider="gemini", operation="edit", enabled="true",
        version=str(version(app)), **{"params.prompt": "make it a comic"}))
    assert response.status_code == 422
    assert ("Нельзя включить: провайдер gemini не настроен (set GEMINI_API_KEY)"
            in text(response))


def test_a_missing_required_param_is_shown_beside_its_own_field(app, admin, form):
    response = admin.post("/admin/slots/slot-003", data=form(
        name="Slot 003", provider="local", operation="resize", version=str(version(app))),
        headers=HTMX)
    assert response.status_code == 422
    assert re.search(r'id="param-max_side-error" role="alert">.*Обязательное поле', text(response))


def test_a_stale_form_gets_the_conflict_with_both_changes_merged(app, admin, form):
    configure_slot(app, "slot-003", operation="sepia", params={"strength": 1}, enabled=False)
    page = admin.get("/admin/slots/slot-003").get_data(True)
    loaded = re.search(r'name="loaded" value="([^"]+)"', page).group(1).replace("&#34;", '"')
    stale = version(app)
    with app.app_context():
        update_slot("slot-003", {"name": "Свадьба", "params": {"strength": 0.2}}, Actor("igor"))
    response = admin.post("/admin/slots/slot-003", data=form(
        name="Slot 003", provider="local", operation="sepia", version=str(stale),
        loaded=loaded, **{"params.strength": "0.7", "params.delay_ms": "100"}), headers=HTMX)
    assert response.status_code == 409
    html = text(response)
    assert "Пока вы редактировали, слот изменил igor" in html
    assert "изменил igor — принято" in html and "изменили оба — в форме ваш вариант" in html
    assert 'id="slot-name" name="name" value="Свадьба"' in html  # igor's change taken
    assert 'value="0.7"' in html and 'value="100"' in html  # the admin's input kept
    assert f'name="version" value="{stale + 1}"' in html  # saving again applies it


def test_choosing_another_provider_reloads_its_operations_and_params(admin):
    response = admin.get("/admin/slots/slot-003/params?provider=gemini", headers=HTMX)
    html = text(response)
    assert '<option value="compose" selected> compose (нужен шаблон)</option>' in html
    assert re.search(r'<textarea id="param-prompt" name="params.prompt"', html)
    assert 'placeholder="gemini-2.5-flash-image"' in html  # the default as a hint
    # The gateway's own param, in Russian, with its default and range
    assert "Размер фото для провайдера, px" in html
    assert re.search(r'<small id="param-max_input_side-help">[^<]*0 — оригиналы · от 0 до 8192'
                     r' · по умолчанию 1536</small>', html)


def test_without_javascript_the_refresh_button_shows_the_fields_without_saving(app, admin,
                                                                               form):
    before = version(app)
    response = admin.post("/admin/slots/slot-003", data=form(
        name="Slot 003", provider="local", operation="resize", version=str(before),
        intent="refresh"))
    assert response.status_code == 200
    assert 'name="params.max_side"' in response.get_data(True)
    assert version(app) == before


def test_a_form_post_needs_the_csrf_token(app, admin):
    response = admin.post("/admin/slots/slot-003", data={"name": "x", "version": "1"})
    assert response.status_code == 403
    assert "Защита от подделки запроса не пройдена" in text(response)
    htmx = admin.post("/admin/slots/slot-003", headers={**HTMX, "X-CSRF-TOKEN": csrf(admin)},
                      data={"name": "Slot 003", "provider": "local", "operation": "grayscale",
                            "version": str(version(app))})
    assert htmx.status_code == 200  # htmx sends the header instead (hx-headers on <body>)


def test_the_quick_toggle_checks_the_version(app, admin, form):
    stale = version(app, "slot-002")
    with app.app_context():
        update_slot("slot-002", {"name": "Бар"}, Actor("igor"))
    response = admin.post("/admin/slots/slot-002/toggle", headers=HTMX,
                          data=form(enabled="true", version=str(stale)))
    assert response.status_code == 409
    assert "Бар только что изменил igor" in text(response)
    response = admin.post("/admin/slots/slot-002/toggle", headers=HTMX,
                          data=form(enabled="true", version=str(stale + 1)))
    assert response.status_code == 200
    assert "● Включён" in words(response) and "✓ Бар (slot-002) включён." in words(response)


@pytest.fixture
def reader(app, make_app):
    """A client signed in as igor, whose PHOTOSLOT_ADMINS entry grants only stats:read."""
    admins = (f"serg:{hash_password(ADMIN_PASSWORDS['serg'])},"
              f"igor:{hash_password(ADMIN_PASSWORDS['igor'])}:stats:read")
    return sign_in(make_app(PHOTOSLOT_ADMINS=admins).test_client(), "igor")


def test_permissions_shape_the_page_and_are_enforced(app, reader):
    page = text(reader.get("/admin/slots/slot-003"))
    assert "Только просмотр: у вас нет права «slots:write»" in page
    assert "<fieldset disabled>" in page
    assert "Запустить проверку" not in page and "Загрузить и привязать" not in page
    assert "Включить" not in text(reader.get("/admin/"))
    refused = reader.post("/admin/slots/slot-003", data={"csrf_token": csrf(reader)},
                          headers=HTMX)
    assert refused.status_code == 403
    assert "нужно право «slots:write»" in text(refused)


def test_an_unknown_slot_is_a_russian_404_page(admin):
    response = admin.get("/admin/slots/slot-099")
    assert response.status_code == 404
    assert "Слота slot-099 нет" in text(response)


def test_uploading_a_template_binds_it_and_the_limit_is_kept(app, admin, form):
    response = admin.post("/admin/slots/slot-003/templates", headers=HTMX, data={
        **form(version=str(version(app))),
        "file": (io.BytesIO(photo_bytes((80, 60), "PNG")), "frame.png")})
    assert response.status_code == 200
    html = text(response)
    assert "привязано 1 из 20" in html
    assert 'id="slot-form-state" hx-swap-oob="true"' in html  # own change: form moves along
    for n in range(MAX_TEMPLATES_PER_SLOT - 1):
        bind_template(app, "slot-003", photo_bytes((16 + n, 16), "PNG"))
    full = text(admin.get("/admin/slots/slot-003"))
    assert "Достигнут предел — 20 шаблонов на слот" in full
    refused = admin.post("/admin/slots/slot-003/templates", headers=HTMX, data={
        **form(), "file": (io.BytesIO(photo_bytes((80, 60), "PNG")), "frame.png")})
    assert refused.status_code == 422
    assert "Не больше 20 шаблонов на слот" in text(refused)


def test_a_file_that_is_no_image_is_refused_in_words(admin, form):
    response = admin.post("/admin/slots/slot-003/templates", headers=HTMX, data={
        **form(), "file": (io.BytesIO(b"%PDF-1.4 not an image"), "menu.pdf")})
    assert response.status_code == 422
    assert "Это не JPEG, PNG или WEBP." in text(response)


def test_a_test_run_reports_the_result_or_asks_for_a_photo(app, admin, form):
    configure_slot(app, "slot-003", operation="sepia", params={}, enabled=False)
    missing = admin.post("/admin/slots/slot-003/test", headers=HTMX, data=form())
    assert missing.status_code == 422
    assert "Выберите фото для проверки." in text(missing)
    response = admin.post("/admin/slots/slot-003/test", headers=HTMX, data={
        **form(), "photo": (io.BytesIO(photo_bytes((120, 90))), "sample.jpg")})
    assert response.status_code == 200
    html = text(response)
    job_id = re.search(r'id="result-([0-9a-f-]{36})"', html).group(1)
    assert f'src="http://gateway.test/public/results/{job_id}"' in html
    assert 'id="recent-results" aria-labelledby="recent-title" hx-swap-oob="true"' in html


def test_the_qr_code_is_an_svg_of_the_result_link(admin):
    job_id = str(uuid.uuid4())
    response = admin.get(f"/admin/results/{job_id}/qr.svg")
    assert response.status_code == 200
    assert response.mimetype == "image/svg+xml"
    assert response.get_data(True).startswith("<svg")
    assert response.headers["Cache-Control"] == "private, max-age=86400"
    assert admin.get("/admin/results/not-a-job/qr.svg").status_code == 404
