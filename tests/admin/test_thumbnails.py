"""Thumbnails: ≤320 px JPEGs made once, served by token with caching headers and TTL checks."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from PIL import Image

from photoslot import clock
from photoslot.extensions import db
from photoslot.models import MediaObject
from photoslot.services.media.thumbnails import ThumbnailError, ensure_thumbnail, render
from tests.admin.conftest import image_bytes
from tests.contract import assert_contract, assert_error


@pytest.mark.parametrize(("size", "expected"), [((1200, 900), (320, 240)), ((300, 2000), (48, 320)),
                                                ((100, 60), (100, 60))])
def test_thumbnails_fit_320_px_keep_aspect_and_never_enlarge(size, expected):
    rendition = render(image_bytes("PNG", size))
    jpeg, width, height = rendition.jpeg, rendition.width, rendition.height
    with Image.open(io.BytesIO(jpeg)) as image:
        assert (image.format, image.size) == ("JPEG", expected)
    assert (width, height) == expected


def test_transparent_images_become_white_not_black():
    jpeg = render(image_bytes("PNG", (10, 10), mode="RGBA")).jpeg
    with Image.open(io.BytesIO(jpeg)) as image:
        red, green, blue = image.getpixel((5, 5))
    assert red > 200 and green > 100  # half-transparent red over white is pink


def test_undecodable_parent_raises_thumbnail_error():
    with pytest.raises(ThumbnailError):
        render(b"\x89PNG\r\n\x1a\n garbage")


@pytest.fixture
def result_thumb(app, add_media, add_job) -> dict:
    """A result expiring in one hour and its thumbnail."""
    parent = add_media("result", "slot-001", add_job("slot-001"), size=(640, 480),
                       expires_at=clock.now() + timedelta(hours=1))
    with app.app_context():
        media = db.session.get(MediaObject, parent["id"])
        thumb = ensure_thumbnail(media)
        db.session.commit()
        again = ensure_thumbnail(media)
        return {"token": thumb.token, "same_row": again.id == thumb.id,
                "expires_at": thumb.expires_at, "parent_expires_at": media.expires_at,
                "size": thumb.size, "parent_id": thumb.parent_id, "media_id": media.id}


def test_ensure_thumbnail_is_made_once_and_inherits_expiry(result_thumb):
    assert result_thumb["same_row"]
    assert result_thumb["parent_id"] == result_thumb["media_id"]
    assert result_thumb["expires_at"] == result_thumb["parent_expires_at"]


def test_thumbnail_is_served_with_caching_headers(client, result_thumb):
    response = client.get(f"/public/thumbnails/{result_thumb['token']}")
    assert response.status_code == 200
    assert_contract(response)
    assert response.headers["Content-Type"] == "image/jpeg"
    assert int(response.headers["Content-Length"]) == result_thumb["size"] == len(response.data)
    assert response.headers["ETag"] and response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.cache_control.public
    assert 3500 <= response.cache_control.max_age <= 3600  # never beyond the expiry
    with Image.open(io.BytesIO(response.data)) as image:
        assert image.size == (320, 240)

    head = client.head(f"/public/thumbnails/{result_thumb['token']}")
    assert head.status_code == 200
    assert head.data == b""
    assert head.headers["Content-Length"] == response.headers["Content-Length"]
    assert_contract(head)

    cached = client.get(f"/public/thumbnails/{result_thumb['token']}",
                        headers={"If-None-Match": response.headers["ETag"]})
    assert cached.status_code == 304


def test_expired_thumbnail_is_410_before_any_cleanup(client, result_thumb):
    clock.advance(timedelta(hours=1, seconds=1))
    response = client.get(f"/public/thumbnails/{result_thumb['token']}")
    error = assert_error(response, 410, "media_expired")
    assert_contract(response)
    assert error["details"]["expired_at"] == result_thumb["expires_at"].isoformat()


def test_unknown_thumbnail_is_404(client):
    response = client.get("/public/thumbnails/not-a-token")
    assert_error(response, 404, "media_not_found")
    assert_contract(response)


def test_thumbnail_whose_file_vanished_is_410(app, client, result_thumb, media_root):
    for path in (media_root / "thumbs").iterdir():
        path.unlink()
    assert_error(client.get(f"/public/thumbnails/{result_thumb['token']}"), 410, "media_gone")
