"""Image sniffing and safe decoding."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from photoslot.errors import ApiError
from photoslot.images import booth_format, booth_image, require_image, sniff_mime


def encode(fmt: str, size: tuple[int, int] = (8, 6)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, "red").save(buffer, fmt)
    return buffer.getvalue()


@pytest.mark.parametrize(("fmt", "mime"), [("JPEG", "image/jpeg"), ("PNG", "image/png"),
                                           ("WEBP", "image/webp")])
def test_accepted_types_are_sniffed_and_decoded(fmt, mime):
    data = encode(fmt)
    assert sniff_mime(data[:16]) == mime
    assert require_image(data) == (mime, 8, 6)


def test_other_bytes_are_415():
    with pytest.raises(ApiError) as err:
        require_image(b"GIF89a" + b"\0" * 100)
    assert err.value.status == 415


def test_truncated_image_is_422():
    with pytest.raises(ApiError) as err:
        require_image(encode("PNG")[:40])
    assert (err.value.status, err.value.code) == (422, "invalid_image")


def test_decompression_bomb_is_422(monkeypatch):
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 10)
    with pytest.raises(ApiError) as err:
        require_image(encode("PNG", (10, 10)))
    assert (err.value.status, err.value.code) == (422, "image_too_large")


@pytest.mark.parametrize(("upload", "answer"), [("image/jpeg", "image/jpeg"),
                                                ("image/png", "image/png"),
                                                ("image/webp", "image/jpeg")])
def test_the_booth_gets_jpeg_unless_it_sent_png(upload, answer):
    assert booth_format(upload) == answer


def test_transparent_png_becomes_jpeg_on_white():
    buffer = io.BytesIO()
    Image.new("RGBA", (8, 6), (255, 0, 0, 0)).save(buffer, "PNG")
    jpeg, mime, width, height = booth_image(buffer.getvalue(), "image/jpeg")
    assert (mime, width, height) == ("image/jpeg", 8, 6) == require_image(jpeg)
    assert Image.open(io.BytesIO(jpeg)).getpixel((4, 3)) >= (250, 250, 250)
    assert require_image(booth_image(jpeg, "image/png")[0]) == ("image/png", 8, 6)


def test_an_image_already_in_the_booths_format_is_passed_through():
    jpeg = booth_image(encode("PNG"), "image/jpeg")[0]
    assert booth_image(jpeg, "image/jpeg") == (jpeg, "image/jpeg", 8, 6)
