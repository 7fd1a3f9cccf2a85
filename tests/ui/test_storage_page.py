"""The storage page in Chromium: volume and disk, then the manual cleanup — a dry run listing
what would go (nothing deleted), the real run's summary, and the expired files gone."""

from __future__ import annotations

from datetime import timedelta

from photoslot import clock
from photoslot.services.media import store
from tests.media_helpers import add_media
from tests.ui.helpers import expect, shoot, sign_in


def test_cleanup_previews_then_deletes_the_expired_files(app, page, live):
    past, future = clock.now() - timedelta(hours=1), clock.now() + timedelta(hours=5)
    with app.app_context():
        expired = [add_media("result", expires_at=past) for _ in range(2)]
        kept = add_media("result", expires_at=future)
        paths = {ref.id: store.resolve(ref.path) for ref in [*expired, kept]}
    assert all(path.is_file() for path in paths.values())

    sign_in(page, live)
    page.get_by_role("link", name="Хранилище").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Хранилище")
    expect(page.locator("#volume-result td").nth(0)).to_have_text("3")
    expect(page.locator("#volume-result td").nth(2)).to_have_text("2")  # expired, not yet gone
    expect(page.locator("#last-cleanup")).to_contain_text("ещё ни разу не запускалась")
    expect(page.locator("#disk-free")).to_contain_text("Свободно на диске")

    page.get_by_role("button", name="Предпросмотр очистки").click()
    preview = page.locator("#cleanup-result")
    expect(preview).to_contain_text("Предпросмотр: будет удалено")
    expect(preview.locator("#preview-result td").first).to_have_text("2")
    assert all(path.is_file() for path in paths.values())  # a dry run deletes nothing
    shoot(page, "80-storage-preview")

    page.get_by_role("button", name="Удалить это сейчас").click()
    expect(preview).to_contain_text("Очистка выполнена")
    expect(preview).to_contain_text("удалено файлов — 2")
    expect(page.locator("#last-result td").first).to_have_text("2")
    expect(page.locator("#volume-result td").nth(0)).to_have_text("1")  # refreshed out of band
    expect(page.locator("#last-cleanup")).to_contain_text("запустил serg")
    assert not any(paths[ref.id].exists() for ref in expired)
    assert paths[kept.id].is_file()
    shoot(page, "81-storage-cleaned")

    page.get_by_role("link", name="Журнал").click()
    page.get_by_label("Что").select_option(label="Очистка хранилища")
    page.get_by_role("button", name="Показать").click()
    runs = page.locator("li.entry")
    expect(runs).to_have_count(2)  # the preview and the real run, newest first
    expect(runs.first).to_contain_text("Очистка хранилища")
    expect(runs.first).to_contain_text("serg")
    expect(runs.first).to_contain_text("Удаление · ✓ выполнена")
    expect(runs.first.locator("tbody tr", has_text="Результаты")).to_contain_text("2")
    expect(runs.last).to_contain_text("Предпросмотр — ничего не удалялось")
    shoot(page, "71-journal-cleanup")
