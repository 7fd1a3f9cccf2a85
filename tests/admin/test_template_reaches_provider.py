"""Acceptance (UC5): a registered, bound template is actually sent to the provider in the next
ingest — register → bind (slot PUT) → the booth's ingest → what the provider received."""

from __future__ import annotations

import io
from collections.abc import Iterator

import pytest
from PIL import Image

from tests.contract import assert_contract
from tests.fakes import gemini as fake_gemini
from tests.ingest_support import booth_parts, content_type, multipart, photo_bytes, set_password


@pytest.fixture
def gemini_fake() -> Iterator[fake_gemini.FakeGemini]:
    with fake_gemini.FakeGemini() as fake:
        yield fake


@pytest.fixture
def app(make_app, gemini_fake):
    """Real providers; Gemini talks to the in-process fake."""
    app = make_app(GEMINI_API_KEY=fake_gemini.DEFAULT_API_KEY,
                   PHOTOSLOT_GEMINI_BASE_URL=gemini_fake.base_url, TURBOTEXT_API_KEY="")
    set_password(app)
    return app


def png(size: tuple[int, int], colour, band=None) -> bytes:
    """A plain image, optionally with an opaque band (the frame) on a transparent canvas."""
    image = Image.new("RGBA", size, colour)
    if band is not None:
        image.paste(band, (0, 0, size[0], size[1] // 8))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def register(client, headers, data: bytes) -> str:
    response = client.post("/api/template-media/register", headers=headers,
                           data={"file": (io.BytesIO(data), "template.png")},
                           content_type="multipart/form-data")
    assert response.status_code == 201, response.get_json()
    return response.get_json()["id"]


def configure(client, headers, slot_id: str, **changes) -> dict:
    version = client.get(f"/api/slots/{slot_id}", headers=headers).get_json()["version"]
    response = client.put(f"/api/slots/{slot_id}", headers=headers,
                          json={**changes, "version": version})
    assert response.status_code == 200, response.get_json()
    assert_contract(response)
    return response.get_json()


def booth_ingest(client, slot_id: str, photo: bytes):
    response = client.post(f"/api/ingest/{slot_id}", data=multipart(booth_parts(photo)),
                           content_type=content_type())
    assert response.status_code == 200, response.get_data(True)
    return response


def test_gemini_compose_receives_the_photo_then_the_registered_template(
        client, auth_headers, gemini_fake):
    headers = auth_headers()
    template = png((50, 40), (20, 40, 220, 255))
    template_id = register(client, headers, template)
    slot = configure(client, headers, "slot-008", provider="gemini", operation="compose",
                     # the originals, byte for byte (reductions: test_provider_input.py)
                     params={"prompt": "Place the guest into the template", "max_input_side": 0},
                     template_media_ids=[template_id], enabled=True)
    assert [t["id"] for t in slot["template_media"]] == [template_id]

    photo = photo_bytes((64, 48))
    booth_ingest(client, "slot-008", photo)

    [call] = [r for r in gemini_fake.requests if r.path.endswith(":generateContent")]
    prompt, images = fake_gemini.parse_request(call.body, call.headers["content-type"])
    assert prompt == "Place the guest into the template"
    assert [mime for mime, _ in images] == ["image/jpeg", "image/png"]
    assert images[0][1] == photo
    assert images[1][1] == template
    received = Image.open(io.BytesIO(images[1][1]))
    assert received.size == (50, 40)
    assert received.convert("RGB").getpixel((25, 20)) == (20, 40, 220)


def test_local_frame_uses_the_template_bound_just_before_the_ingest(client, auth_headers):
    headers = auth_headers()
    clear = (0, 0, 0, 0)
    red_id = register(client, headers, png((64, 48), clear, band=(255, 0, 0, 255)))
    blue_id = register(client, headers, png((64, 48), clear, band=(0, 0, 255, 255)))
    configure(client, headers, "slot-009", operation="frame", params={"opacity": 1},
              template_media_ids=[red_id], enabled=True)
    photo = photo_bytes((64, 48))

    def band_colour() -> tuple[int, int, int]:
        framed = Image.open(io.BytesIO(booth_ingest(client, "slot-009", photo).data))
        return framed.convert("RGB").getpixel((32, 2))

    red, green, blue = band_colour()
    assert red > 200 and green < 60 and blue < 60
    configure(client, headers, "slot-009", template_media_ids=[blue_id])
    red, green, blue = band_colour()
    assert blue > 200 and red < 60 and green < 60
