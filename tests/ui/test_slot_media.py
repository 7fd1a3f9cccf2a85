"""The slot page's template images, test run and recent results in Chromium."""

from __future__ import annotations

import io

import requests
from PIL import Image

from photoslot.extensions import db
from photoslot.models import JobHistory
from tests.ingest_support import (
    booth_parts,
    configure_slot,
    content_type,
    multipart,
    photo_bytes,
    set_password,
)
from tests.ui.helpers import decode_qr, differs, expect, image_at, shoot, sign_in


def png(color: tuple[int, int, int], size: tuple[int, int] = (300, 200)) -> bytes:
    """A synthetic template image: a coloured frame with a transparent window."""
    image = Image.new("RGBA", size, (*color, 255))
    image.paste((0, 0, 0, 0), (30, 30, size[0] - 30, size[1] - 30))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def test_upload_and_bind_templates_show_their_thumbnails(app, page, live, tmp_path):
    configure_slot(app, "slot-003", operation="frame", params={}, enabled=False)
    sign_in(page, live)
    page.goto(f"{live.base_url}/admin/slots/slot-003")
    section = page.locator("#slot-templates")
    expect(section).to_contain_text("привязано 0 из 20")
    expect(section).to_contain_text("Операции frame нужен шаблон")
    version = int(page.locator("#slot-version").input_value())

    frame = tmp_path / "frame.png"
    frame.write_bytes(png((200, 30, 60)))
    page.get_by_label("Новый шаблон").set_input_files(frame)
    page.get_by_role("button", name="Загрузить и привязать").click()
    expect(section).to_contain_text("привязано 1 из 20")
    thumbnail = section.get_by_role("img", name="Шаблон 1, 300×200")
    expect(thumbnail).to_have_js_property("naturalWidth", 300)  # the thumbnail really loaded
    # The admin's own binding moved the form along: saving it is no conflict.
    expect(page.locator("#slot-version")).to_have_value(str(version + 1))

    # Drag and drop a second image onto the upload frame.
    page.locator("form[data-dropzone]").first.evaluate("""(zone, bytes) => {
        const data = new DataTransfer();
        data.items.add(new File([new Uint8Array(bytes)], "second.png", {type: "image/png"}));
        zone.dispatchEvent(new DragEvent("drop", {bubbles: true, cancelable: true,
                                                  dataTransfer: data}));
    }""", list(png((20, 90, 200))))
    expect(section).to_contain_text("привязано 2 из 20")
    expect(section.get_by_role("img", name="Шаблон 2, 300×200")).to_have_js_property(
        "complete", True)

    section.get_by_role("button", name="Отвязать шаблон 1").click()
    expect(section).to_contain_text("привязано 1 из 20")
    expect(section.get_by_text("Привязать уже загруженный (1)")).to_be_visible()
    page.get_by_role("button", name="Сохранить").click()  # no conflict after our own changes
    expect(page.get_by_role("status").filter(has_text="Слот сохранён")).to_be_visible()
    shoot(page, "30-slot-templates")


def test_a_test_run_shows_the_changed_image_and_results_carry_a_qr_code(app, page, live,
                                                                          tmp_path):
    set_password(app)
    configure_slot(app, "slot-003", operation="sepia", params={"strength": 1}, enabled=False)
    sample = photo_bytes((320, 240))
    (tmp_path / "sample.jpg").write_bytes(sample)
    sign_in(page, live)
    page.goto(f"{live.base_url}/admin/slots/slot-003")
    expect(page.locator("#recent-results")).to_contain_text("Пока нет результатов")

    page.get_by_label("Пробное фото").set_input_files(tmp_path / "sample.jpg")
    page.get_by_role("button", name="Запустить проверку").click()
    outcome = page.locator("#trial-result")
    expect(outcome).to_contain_text("✓ Готово за")
    expect(outcome).to_contain_text("провайдер")
    expect(outcome).to_contain_text("шлюз")
    result = outcome.get_by_role("img", name="Результат проверки слота")
    expect(result).to_have_js_property("naturalWidth", 320)
    assert differs(image_at(page, result.get_attribute("src")), sample)

    with app.app_context():
        [job] = db.session.query(JobHistory).all()
        assert (job.is_test, job.status) == (True, "done")
    result_url = f"{live.base_url}/public/results/{job.id}"
    assert result.get_attribute("src") == result_url
    item = page.locator(f"#result-{job.id}")  # recent results refreshed with the run
    expect(item).to_contain_text("тест")
    expect(item).to_contain_text("Удалится через 2 д 23 ч")
    qr = item.get_by_role("img", name=f"QR-код ссылки на результат: {result_url}")
    expect(qr).to_have_js_property("complete", True)
    assert decode_qr(qr.screenshot()) == result_url
    shoot(page, "31-slot-test-run")

    # A booth's photo appears with the booth's name after a reload.
    body = multipart(booth_parts(photo_bytes((200, 150))))
    booth = requests.post(f"{live.base_url}/api/ingest/slot-003", data=body,
                          headers={"Content-Type": content_type()}, timeout=30)
    assert booth.status_code == 404  # the slot is disabled: the booth gets nothing
    configure_slot(app, "slot-003", operation="sepia", params={"strength": 1}, enabled=True)
    booth = requests.post(f"{live.base_url}/api/ingest/slot-003", data=body,
                          headers={"Content-Type": content_type()}, timeout=30)
    assert booth.status_code == 200
    page.reload()
    newest = page.locator("#recent-results li.result").first
    expect(newest).to_contain_text("Фотозона: BOOTH-PC-07")
    expect(page.locator("#recent-results li.result")).to_have_count(2)
    assert decode_qr(newest.locator("img.qr").screenshot()) == booth.headers["X-Result-Url"]


def test_a_failed_test_run_is_explained_in_words(app, start_live, page, tmp_path):
    live = start_live(PHOTOSLOT_T_SYNC_RESPONSE_S="2")
    configure_slot(app, "slot-003", operation="sepia", params={"delay_ms": 5000}, enabled=False)
    (tmp_path / "sample.jpg").write_bytes(photo_bytes((120, 90)))
    sign_in(page, live)
    page.goto(f"{live.base_url}/admin/slots/slot-003")
    page.get_by_label("Пробное фото").set_input_files(tmp_path / "sample.jpg")
    page.get_by_role("button", name="Запустить проверку").click()
    failure = page.locator("#trial-result [role=alert]")
    expect(failure).to_contain_text("✗ Провайдер не успел ответить за 2 с — фотозона напечатала "
                                    "бы исходное фото.", timeout=15_000)
    expect(failure).to_contain_text("Код: provider_timeout")
    shoot(page, "32-slot-test-run-timeout")
