"""The photo as a provider gets it (images.provider_input): reduced to ``max_input_side``, upright,
without metadata, encoded once — or, with 0, the upload's own bytes."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from photoslot.errors import ApiError
from photoslot.images import limit_decoded_pixels, provider_input, require_image
from tests.ingest_support import camera_jpeg


def opened(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def near(pixel: tuple[int, ...], colour: tuple[int, int, int]) -> bool:
    return all(abs(a - b) < 40 for a, b in zip(pixel, colour, strict=False))


def test_a_camera_original_is_reduced_to_the_bound_upright_and_without_metadata():
    photo = camera_jpeg((1200, 800), orientation=6)  # stored landscape, shown rotated 90° CW

    upload_mime, sent = provider_input(photo, 400)

    assert upload_mime == sent.mime == "image/jpeg"
    image = opened(sent.data)
    assert image.size == (sent.width, sent.height) == (267, 400)  # upright: portrait now
    # Rotated clockwise, the left (red) half of the stored picture is on top.
    assert near(image.getpixel((133, 20)), (255, 0, 0))
    assert near(image.getpixel((133, 380)), (0, 0, 255))
    assert not image.getexif() and "exif" not in image.info
    assert b"SN-123456" not in sent.data and b"BoothCam" not in sent.data
    assert not sent.data_is_original


@pytest.mark.parametrize(("size", "bound", "expected"), [
    ((3072, 2048), 1536, (1536, 1024)),  # a JPEG draft at 1/2 scale is the result itself
    ((3000, 2000), 1536, (1500, 1000)),  # 1/2 scale lands just under the bound: kept
    ((3000, 2000), 1000, (1000, 667)),  # decoded at 1/2, then resampled down
    ((640, 480), 1536, (640, 480)),  # never enlarged
])
def test_the_longest_side_never_exceeds_the_bound(size, bound, expected):
    _, sent = provider_input(camera_jpeg(size), bound)
    assert opened(sent.data).size == (sent.width, sent.height) == expected


def test_a_multi_picture_jpeg_is_reduced_like_any_jpeg():
    out = io.BytesIO()  # what cameras with an MPF segment write; Pillow opens it as "MPO"
    Image.new("RGB", (1200, 800), "red").save(out, "MPO", save_all=True,
                                              append_images=[Image.new("RGB", (160, 120))])
    upload_mime, sent = provider_input(out.getvalue(), 300)
    assert (upload_mime, sent.mime) == ("image/jpeg", "image/jpeg")
    assert opened(sent.data).size == (300, 200)


def test_zero_hands_over_the_upload_byte_for_byte():
    photo = camera_jpeg((1200, 800), orientation=6)

    upload_mime, sent = provider_input(photo, 0)

    assert sent.data == photo and sent.data_is_original
    assert (upload_mime, sent.mime, sent.width, sent.height) == ("image/jpeg", "image/jpeg",
                                                                 1200, 800)


@pytest.mark.parametrize("mode", ["RGBA", "P"])
def test_a_png_with_transparency_stays_a_png_with_its_alpha(mode):
    image = Image.new("RGBA", (800, 400), (0, 128, 0, 255))
    image.paste((0, 0, 0, 0), (0, 0, 400, 400))  # left half fully transparent
    if mode == "P":
        image = image.convert("P", palette=Image.Palette.ADAPTIVE)
        image.info["transparency"] = image.getpixel((0, 0))
    out = io.BytesIO()
    image.save(out, "PNG", transparency=image.info.get("transparency"))

    upload_mime, sent = provider_input(out.getvalue(), 200)

    assert upload_mime == sent.mime == "image/png"
    reduced = opened(sent.data).convert("RGBA")
    assert reduced.size == (200, 100)
    assert reduced.getpixel((20, 50))[3] == 0 and reduced.getpixel((180, 50))[3] == 255


def test_an_opaque_png_stays_a_lossless_png():
    image = Image.new("RGB", (800, 400), (10, 200, 30))
    out = io.BytesIO()
    image.save(out, "PNG")
    _, sent = provider_input(out.getvalue(), 400)
    assert sent.mime == "image/png" and opened(sent.data).getpixel((5, 5)) == (10, 200, 30)


@pytest.mark.parametrize(("alpha", "mime"), [(False, "image/jpeg"), (True, "image/png")])
def test_a_webp_becomes_jpeg_unless_it_is_transparent(alpha, mime):
    image = Image.new("RGBA" if alpha else "RGB", (600, 400), (0, 0, 255, 128)[:4 if alpha else 3])
    out = io.BytesIO()
    image.save(out, "WEBP")
    upload_mime, sent = provider_input(out.getvalue(), 300)
    assert (upload_mime, sent.mime) == ("image/webp", mime)
    assert opened(sent.data).size == (300, 200)


@pytest.mark.parametrize("bound", [0, 1536])
def test_a_truncated_jpeg_is_still_refused_without_a_full_decode(bound):
    photo = camera_jpeg((1600, 1200))
    with pytest.raises(ApiError) as caught:
        provider_input(photo[: len(photo) * 2 // 3], bound)
    assert (caught.value.status, caught.value.code) == (422, "invalid_image")
    with pytest.raises(ApiError):
        require_image(photo[: len(photo) * 2 // 3])


@pytest.mark.parametrize("bound", [0, 1536])
def test_a_decompression_bomb_is_refused_before_decoding(bound):
    limit_decoded_pixels()  # as the app factory does
    out = io.BytesIO()
    Image.new("1", (8000, 8000)).save(out, "PNG")  # 64 Mpx, above the 60 Mpx limit
    with pytest.raises(ApiError) as caught:
        provider_input(out.getvalue(), bound)
    assert (caught.value.status, caught.value.code) == (422, "image_too_large")


def test_not_an_image_is_415_before_any_decoding(tmp_path):
    path = tmp_path / "upload.part"
    path.write_bytes(b"GIF89a" + b"\0" * 100)
    with pytest.raises(ApiError) as caught:
        provider_input(path, 1536)
    assert caught.value.status == 415


def test_a_spooled_file_is_read_from_its_path(tmp_path):
    path = tmp_path / "upload.part"
    path.write_bytes(camera_jpeg((1000, 500)))
    assert provider_input(path, 0)[1].data == path.read_bytes()
    assert opened(provider_input(path, 250)[1].data).size == (250, 125)
