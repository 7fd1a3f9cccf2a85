"""Image sniffing and safe decoding."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from photoslot.errors import ApiError
from photoslot.images import (
    THUMBNAIL_SIDE,
    booth_format,
    booth_image,
    require_image,
    sniff_mime,
    thumbnail,
    upright,
)


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
    booth = booth_image(buffer.getvalue(), "image/jpeg")
    assert (booth.mime, booth.width, booth.height) == ("image/jpeg", 8, 6)
    assert require_image(booth.data) == ("image/jpeg", 8, 6)
    assert Image.open(io.BytesIO(booth.data)).getpixel((4, 3)) >= (250, 250, 250)
    assert require_image(booth_image(booth.data, "image/png").data) == ("image/png", 8, 6)


def test_an_image_already_in_the_booths_format_is_passed_through():
    jpeg = booth_image(encode("PNG"), "image/jpeg").data
    passed = booth_image(jpeg, "image/jpeg")
    assert (passed.data, passed.mime, passed.width, passed.height, passed.thumbnail) == (
        jpeg, "image/jpeg", 8, 6, None)


@pytest.mark.parametrize(("fmt", "wanted"), [("PNG", "image/jpeg"), ("JPEG", "image/jpeg"),
                                             ("PNG", "image/png")])
def test_the_thumbnail_comes_from_the_same_decode(fmt, wanted):
    answer = encode(fmt, (1024, 768))
    booth = booth_image(answer, wanted, with_thumbnail=True)
    assert (booth.mime, booth.width, booth.height) == (wanted, 1024, 768)
    assert (booth.thumbnail.width, booth.thumbnail.height) == (THUMBNAIL_SIDE, 240)
    assert require_image(booth.thumbnail.jpeg) == ("image/jpeg", THUMBNAIL_SIDE, 240)
    if fmt == "JPEG":  # kept byte for byte, though decoded at a smaller scale for the thumbnail
        assert booth.data == answer


def test_a_thumbnail_leaves_its_image_whole_and_never_enlarges():
    image = Image.new("RGB", (640, 480), "blue")
    rendition = thumbnail(image)
    assert image.size == (640, 480)
    assert (rendition.width, rendition.height) == (THUMBNAIL_SIDE, 240)
    small = thumbnail(Image.new("RGB", (100, 50), "blue"))
    assert (small.width, small.height) == (100, 50)


def test_an_upright_image_is_not_copied_and_a_turned_one_is_turned():
    image = Image.new("RGB", (6, 4))
    assert upright(image) is image
    exif = Image.Exif()
    exif[0x0112] = 6  # rotated 90° clockwise: shown upright, it is 4 wide and 6 high
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif)
    assert upright(Image.open(io.BytesIO(buffer.getvalue()))).size == (4, 6)
