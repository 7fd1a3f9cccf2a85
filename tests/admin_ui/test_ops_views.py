"""The part-2 pages through Flask's test client: settings, statistics, storage, journal — the
same services as the API, their answers as forms and fragments, and the permissions."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from photoslot import clock
from photoslot.config import current_config
from photoslot.extensions import db
from photoslot.models import AuditLog, JobHistory
from photoslot.passwords import hash_password
from photoslot.services.audit import Actor, record
from photoslot.services.cleanup.lock import cleanup_lock
from photoslot.services.ingest.password import check_ingest_password
from photoslot.services.media import store
from tests.admin_ui.conftest import HTMX, csrf, sign_in, text, words
from tests.ingest_support import set_password
from tests.media_helpers import add_media
from tests.support import ADMIN_PASSWORDS


@pytest.fixture
def mechanic(app, make_app):
    """A client signed in as igor, whose PHOTOSLOT_ADMINS entry grants only slots:write."""
    admins = (f"serg:{hash_password(ADMIN_PASSWORDS['serg'])},"
              f"igor:{hash_password(ADMIN_PASSWORDS['igor'])}:slots:write")
    return sign_in(make_app(PHOTOSLOT_ADMINS=admins).test_client(), "igor")


def test_every_page_is_in_the_navigation_with_the_admins_name(admin):
    page = text(admin.get("/admin/journal"))
    for label, path in (("Слоты", "/admin/"), ("Статистика", "/admin/stats"),
                        ("Хранилище", "/admin/storage"), ("Журнал", "/admin/journal"),
                        ("Настройки", "/admin/settings")):
        assert f'href="{path}"' in page and label in page
    assert 'href="/admin/journal" aria-current="page"' in page
    assert "Вы: <strong>serg</strong>" in page


def test_rotating_the_password_needs_it_twice_and_a_valid_length(app, admin, form):
    mismatch = admin.post("/admin/settings/ingest-password", headers=HTMX,
                          data=form(ingest_password="long-enough-1", ingest_password_confirm="x"))
    assert mismatch.status_code == 422
    assert "Пароли не совпадают" in words(mismatch)
    short = admin.post("/admin/settings/ingest-password", headers=HTMX,
                       data=form(ingest_password="short", ingest_password_confirm="short"))
    assert short.status_code == 422
    assert "Нужно от 8 до 256 символов" in words(short)
    with app.app_context():
        assert db.session.query(AuditLog).filter_by(entity="setting").count() == 0


def test_a_rotation_takes_effect_and_the_answer_never_shows_the_password(app, admin, form):
    set_password(app, "the-old-password")
    new = "a-brand-new-password-42"
    answer = admin.post("/admin/settings/ingest-password", headers=HTMX,
                        data=form(ingest_password=new, ingest_password_confirm=new))
    assert answer.status_code == 200
    assert "Пароль загрузки изменён" in words(answer)
    assert 'id="password-meta" hx-swap-oob="true"' in text(answer)  # the last change, refreshed
    assert "автор — serg" in words(answer)
    assert new not in answer.get_data(True)
    with app.app_context():
        assert check_ingest_password(new) and not check_ingest_password("the-old-password")
    plain = admin.post("/admin/settings/ingest-password",
                       data=form(ingest_password=new + "!", ingest_password_confirm=new + "!"))
    assert plain.status_code == 200 and "<html" in plain.get_data(True)  # without JavaScript


def test_check_now_reports_each_provider(admin, form):
    answer = admin.post("/admin/settings/providers/check", headers=HTMX, data=form())
    assert answer.status_code == 200
    page = words(answer)
    assert "local ✓ Настроен Связь (" in page and "): ✓ Отвечает offline provider" in page
    assert ("gemini ✗ Не настроен Задайте переменную окружения GEMINI_API_KEY Связь ("
            in page) and "): не вызывался: не настроен" in page


def test_a_narrowed_admin_gets_read_only_pages_and_403_for_changes(mechanic):
    settings = text(mechanic.get("/admin/settings"))
    assert "Только просмотр: у вас нет права «settings:write»" in settings
    assert "<fieldset disabled>" in settings
    storage = text(mechanic.get("/admin/storage"))
    assert "Предпросмотр очистки" not in storage and "нет права «maintenance:write»" in storage
    stats = mechanic.get("/admin/stats")
    assert stats.status_code == 200 and "нет права «stats:read»" in words(stats)
    token = {"csrf_token": csrf(mechanic)}
    for path, data in (("/admin/settings/ingest-password",
                        {"ingest_password": "long-enough-1", "ingest_password_confirm":
                         "long-enough-1"}), ("/admin/storage/cleanup", {"dry_run": "true"})):
        refused = mechanic.post(path, data={**token, **data}, headers=HTMX)
        assert refused.status_code == 403
        assert "Для этого действия нужно право" in words(refused)


def _add_job(slot_id: str, status: str, total_ms: int, booth: str | None = None,
             error_code: str | None = None) -> None:
    started = clock.now() - timedelta(minutes=10)
    db.session.add(JobHistory(slot_id=slot_id, provider="local", operation="sepia",
                              status=status, started_at=started, finished_at=started,
                              provider_ms=total_ms - 10, total_ms=total_ms, error_code=error_code,
                              client_meta={"name": booth} if booth else {}))


def test_statistics_show_the_services_figures_and_a_missed_target(app, admin):
    with app.app_context():
        for _ in range(18):
            _add_job("slot-001", "done", 800, "BOOTH-A")
        _add_job("slot-002", "timeout", 60_000, "BOOTH-B", "provider_timeout")
        _add_job("slot-002", "error", 900, None, "provider_error")
        db.session.commit()
    page = admin.get("/admin/stats?window=1h")
    assert page.status_code == 200
    shown = words(page)
    assert "504 и ошибки (таймауты, провайдер, шлюз) 10,0 % ✗ хуже цели цель ≤ 5 %" in shown
    assert "Ответ 200 не дольше" in shown and "90,0 % ✗ хуже цели цель ≥ 95 %" in shown
    assert "Всего запросов 20 Готово (200) 18 Таймаут (504) 1 5,0 %" in shown
    assert "slot-002 2 ✗ 0,0 % 1 (50,0 %) 1 ✗ 100,0 %" in shown
    assert "BOOTH-A 18 100,0 %" in shown and "(без имени) 1" in shown
    assert "Готовность сервиса" in shown and 'href="/metrics"' in text(page)

    partial = admin.get("/admin/stats?window=7d", headers=HTMX)
    assert "<html" not in partial.get_data(True) and "Цели за 7 дней" in words(partial)
    assert "Готовность сервиса" not in words(partial)  # outside the swapped part
    assert "Цели за 24 часа" in words(admin.get("/admin/stats?window=30y"))  # back to default


def test_cleanup_dry_run_lists_and_the_real_run_deletes(app, admin, form):
    with app.app_context():
        expired = add_media("input", expires_at=clock.now() - timedelta(minutes=1))
        path = store.resolve(expired.path)
    preview = admin.post("/admin/storage/cleanup", headers=HTMX, data=form(dry_run="true"))
    assert preview.status_code == 200
    assert "Предпросмотр: будет удалено Что Будет удалено Размер Входные фото 1" in words(preview)
    assert path.is_file()
    done = admin.post("/admin/storage/cleanup", headers=HTMX, data=form(dry_run="false"))
    assert "Очистка выполнена" in words(done) and "удалено файлов — 1" in words(done)
    assert 'id="last-cleanup" aria-labelledby="last-cleanup-title" hx-swap-oob="true"' in text(
        done)
    assert not path.exists()
    page = words(admin.get("/admin/storage"))
    assert "Последняя очистка" in page and "запустил serg" in page
    # The bar shows what is taken, and says so beside the free share in words
    assert re.search(r"Свободно на диске: .+ \((\d+) %\) Полоса — занятое место: (\d+) %", page)


def test_the_journal_filters_pages_and_masks(app, admin, form):
    with app.app_context():
        for n in range(30):
            record("slot.update", "slot", "slot-004", {"params": [{"prompt": "a", "n": n},
                                                                  {"prompt": "a", "n": n + 1}]},
                   Actor("igor"))
        db.session.commit()
    secret = "secret-value-1"
    admin.post("/admin/settings/ingest-password",
               data=form(ingest_password=secret, ingest_password_confirm=secret))
    first = admin.get("/admin/journal?entity=slot&actor=igor")
    shown = words(first)
    assert shown.count("Изменение слота") == 25
    assert "✎ изменено: Параметр «n» 29 30" in shown
    assert "✎ изменено: Параметр «prompt»" not in shown and "Параметр «prompt» a a" in shown
    assert "Старее →" in shown and "← К новым" not in shown
    older = text(first).split('href="/admin/journal?before=')[1].split('"')[0]
    second = words(admin.get(f"/admin/journal?before={older}"))
    assert second.count("Изменение слота") == 5 and "← К новым" in second

    settings = words(admin.get("/admin/journal?entity=setting"))
    assert "Смена настроек" in settings and "*** (секрет скрыт)" in settings
    assert "secret-value-1" not in settings and "Изменение слота" not in settings
    with app.app_context():
        today = clock.now().astimezone(current_config().timezone).date()
    assert "Записей с такими условиями нет" in words(
        admin.get(f"/admin/journal?date_to={today - timedelta(days=2)}"))
    assert "Смена настроек" in words(admin.get(f"/admin/journal?date_from={today}"))
    bad = words(admin.get("/admin/journal?date_from=yesterday"))
    assert "Дата не распознана (yesterday)" in bad and "Смена настроек" in bad


def test_a_cleanup_while_another_runs_says_so(app, admin, form):
    with app.app_context(), cleanup_lock() as held:
        assert held
        busy = admin.post("/admin/storage/cleanup", headers=HTMX, data=form(dry_run="true"))
    assert busy.status_code == 409
    assert "уже идёт другая очистка" in words(busy)
    assert "Удалить это сейчас" not in words(busy)
