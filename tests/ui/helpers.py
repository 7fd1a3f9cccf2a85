"""Helpers of the browser tests: sign in through the form, screenshots at two widths, QR and
image checks. Importable without playwright (the ``browser`` fixture decides skip or fail)."""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Any

import requests
from flask import Flask
from PIL import Image, ImageChops, ImageStat

from photoslot import clock
from photoslot.blueprints.guards import issue_token
from photoslot.config import ALL_PERMISSIONS
from tests.ingest_support import (
    INGEST_PASSWORD,
    booth_parts,
    content_type,
    multipart,
    photo_bytes,
)
from tests.support import ADMIN_PASSWORDS, GunicornServer
from tests.ui.conftest import DESKTOP, PHONE, SCREENSHOTS

try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixture skips (or fails under CI) before any test uses it
    expect = None


def ingest(live: GunicornServer, slot_id: str, password: str = INGEST_PASSWORD,
           booth: str | None = None) -> requests.Response:
    """One booth upload over HTTP, as DSLR Remote Pro sends it (from the booth named ``booth``
    when given)."""
    parts = [("name", booth) if name == "name" and booth else (name, value)
             for name, value in booth_parts(photo_bytes((320, 240)), password=password)]
    return requests.post(f"{live.base_url}/api/ingest/{slot_id}", data=multipart(parts),
                         headers={"Content-Type": content_type()}, timeout=30)


def sign_in(page: Any, live: GunicornServer, username: str = "serg",
            password: str | None = None) -> None:
    """Sign in through the sign-in form, as an admin would (Enter submits)."""
    page.goto(f"{live.base_url}/admin/login")
    page.get_by_label("Логин").fill(username)
    page.get_by_label("Пароль").fill(ADMIN_PASSWORDS[username] if password is None else password)
    page.get_by_label("Пароль").press("Enter")
    page.wait_for_load_state()


_OVERFLOWING = """() => [...document.querySelectorAll('body *')]
    .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1)
    .map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + '.' + e.className)"""


_UNLABELLED = """() => [...document.querySelectorAll('input, select, textarea')]
    .filter(e => e.type !== 'hidden' && !e.labels.length && !e.getAttribute('aria-label')
                 && !e.getAttribute('aria-labelledby'))
    .map(e => e.outerHTML.slice(0, 120))"""


def shoot(page: Any, name: str) -> None:
    """Full-page screenshots at desktop (1366 px) and phone (375 px) width, for looking at. The
    page is checked on the way: every input has a label, and at phone width nothing sticks out
    sideways (no horizontal scrolling on a phone)."""
    assert page.evaluate(_UNLABELLED) == [], f"{name}: inputs without a label"
    page.screenshot(path=SCREENSHOTS / f"{name}-desktop.png", full_page=True)
    page.set_viewport_size(PHONE)
    try:
        page.screenshot(path=SCREENSHOTS / f"{name}-phone.png", full_page=True)
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], (
            f"{name}: wider than a phone: {page.evaluate(_OVERFLOWING)[:5]}")
    finally:
        page.set_viewport_size(DESKTOP)


def expired_session_cookie(app: Flask, live: GunicornServer, username: str = "serg") -> dict:
    """The access-token cookie of a session that expired an hour ago (by our clock)."""
    clock.advance(-timedelta(hours=25))
    try:
        with app.app_context():
            token = issue_token(username, ALL_PERMISSIONS)
    finally:
        clock.reset()
    return {"name": "access_token_cookie", "value": token, "url": live.base_url}


def image_at(page: Any, url: str) -> bytes:
    """The bytes the browser context gets for ``url`` (with its cookies)."""
    response = page.context.request.get(url)
    assert response.ok, f"{url}: {response.status}"
    return response.body()


def differs(a: bytes, b: bytes) -> bool:
    """True when two images of one size are visibly different (mean channel difference > 8)."""
    with Image.open(io.BytesIO(a)) as first, Image.open(io.BytesIO(b)) as second:
        assert first.size == second.size
        diff = ImageChops.difference(first.convert("RGB"), second.convert("RGB"))
    return max(ImageStat.Stat(diff).mean) > 8


def decode_qr(png: bytes) -> str:
    """The text of the one QR code in a screenshot."""
    import zxingcpp

    found = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))
    assert len(found) == 1, f"expected one QR code, found {len(found)}"
    assert found[0].format == zxingcpp.BarcodeFormat.QRCode and found[0].valid
    return found[0].text
