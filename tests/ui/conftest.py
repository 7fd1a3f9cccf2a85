"""Browser tests of the admin UI: Playwright (sync API) driving Debian's Chromium against a real
gunicorn server on this test's database.

No browser is ever downloaded: Chromium comes from apt (``.ci/run`` installs it). Locally a
missing Chromium or playwright skips these tests with the reason; under ``CI=true`` (or
``PHOTOSLOT_UI_REQUIRED=1``) it fails them instead. Every test's pages must log no console error
other than the HTTP statuses the test announces (``console_errors.expect_status(422)``).
Screenshots go to ``var/ui-screenshots/`` (git-ignored), desktop and phone width.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.support import ROOT, GunicornServer, free_port

CHROMIUM = os.environ.get("PHOTOSLOT_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--disable-dev-shm-usage"]
# CI must not pass silently without the browser: there a missing Chromium is a failure.
REQUIRE_BROWSER = os.environ.get("CI") == "true" or os.environ.get("PHOTOSLOT_UI_REQUIRED") == "1"
SCREENSHOTS = ROOT / "var" / "ui-screenshots"
DESKTOP = {"width": 1366, "height": 768}
PHONE = {"width": 375, "height": 812}
_NETWORK_LINE = "Failed to load resource: the server responded with a status of "


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test here is a ``ui`` test (``-m "not ui"`` leaves the browser out)."""
    for item in items:
        if "tests/ui/" in item.nodeid:
            item.add_marker(pytest.mark.ui)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if SCREENSHOTS.is_dir() and any(SCREENSHOTS.iterdir()):
        terminalreporter.write_line(f"admin UI screenshots: {SCREENSHOTS}")


def _unavailable(reason: str) -> None:
    if REQUIRE_BROWSER:
        pytest.fail(f"UI tests need Chromium: {reason}", pytrace=False)
    pytest.skip(f"UI tests skipped: {reason}")


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """One Chromium for the whole run (it takes about a second to start)."""
    try:
        from playwright.sync_api import Error, sync_playwright
    except ImportError:
        _unavailable("the playwright package is not installed (pip install -e '.[test]')")
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        _unavailable(f"no Chromium executable at {CHROMIUM} (apt-get install chromium)")
    playwright = sync_playwright().start()
    try:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS,
                                              timeout=30_000)
    except Error as exc:
        playwright.stop()
        _unavailable(f"Chromium failed to launch: {str(exc).splitlines()[0]}")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    yield chromium
    chromium.close()
    playwright.stop()


class ConsoleErrors(list):
    """Console errors and uncaught page errors of a test's pages. Chromium logs every 4xx/5xx
    answer as a console error even when the page handles it; a test allows the statuses it
    provokes with ``expect_status``."""

    def __init__(self) -> None:
        super().__init__()
        self.allowed_statuses: set[int] = set()

    def expect_status(self, *codes: int) -> None:
        self.allowed_statuses.update(codes)

    def unexpected(self) -> list[str]:
        return [text for text in self if not (
            text.startswith(_NETWORK_LINE)
            and int(text[len(_NETWORK_LINE):].split()[0]) in self.allowed_statuses)]


@pytest.fixture
def console_errors() -> ConsoleErrors:
    return ConsoleErrors()


@pytest.fixture
def new_page(browser: Any, console_errors: ConsoleErrors,
             gunicorn_server: Any) -> Iterator[Callable[..., Any]]:
    """Factory of pages, each in its own browser context (own cookies): a second admin is a
    second page. Desktop size, Russian locale; their console errors are checked at the end.
    (Set up after the server factory, so the contexts close before the servers stop: an open
    keep-alive connection would hold up gunicorn's graceful shutdown.)"""
    contexts = []

    def make(**options: Any) -> Any:
        context = browser.new_context(**{"viewport": DESKTOP, "locale": "ru-RU",
                                          "timezone_id": "Europe/Moscow", **options})
        context.set_default_timeout(10_000)
        context.set_default_navigation_timeout(15_000)
        contexts.append(context)
        page = context.new_page()
        page.on("console", lambda m: console_errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: console_errors.append(f"pageerror: {e}"))
        return page

    yield make
    for context in contexts:
        context.close()
    assert not console_errors.unexpected(), f"browser console errors: {console_errors.unexpected()}"


@pytest.fixture
def page(new_page: Callable[..., Any]) -> Any:
    return new_page()


@pytest.fixture
def start_live(gunicorn_server: Callable[..., GunicornServer]) -> Callable[..., GunicornServer]:
    """Factory: a real gunicorn (one gevent worker, so the in-memory rate limits are exact)
    whose public base URL is its own address, so result images and QR links open in the
    browser."""

    def start(**overrides: str) -> GunicornServer:
        port = free_port()
        return gunicorn_server(workers=1, port=port,
                               PHOTOSLOT_PUBLIC_BASE_URL=f"http://127.0.0.1:{port}", **overrides)

    return start


@pytest.fixture
def live(start_live: Callable[..., GunicornServer]) -> GunicornServer:
    return start_live()
