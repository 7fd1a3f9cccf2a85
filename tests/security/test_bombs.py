"""A decompression bomb (a few kB that decode to 64 Mpx) is refused before it is decoded, on
every upload path: the booth's ingest (tests/test_ingest_rejections.py), template media and the
admin's trial run — with nothing stored."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from tests.contract import assert_contract, assert_error
from tests.ingest_support import configure_slot, files_under, jobs, media_rows


@pytest.fixture(scope="module")
def bomb() -> bytes:
    out = io.BytesIO()
    Image.new("1", (8000, 8000)).save(out, "PNG")  # 64 Mpx, above the 60 Mpx limit
    assert len(out.getvalue()) < 20_000
    return out.getvalue()


def test_a_bomb_template_is_422_and_nothing_is_stored(app, client, auth_headers, media_root, bomb):
    response = client.post("/api/template-media/register", headers=auth_headers(),
                           data={"file": (io.BytesIO(bomb), "bomb.png")},
                           content_type="multipart/form-data")
    error = assert_error(response, 422, "image_too_large")
    assert_contract(response)
    assert error["details"]["max_pixels"] == 60_000_000
    assert media_rows(app) == [] and files_under(media_root) == []


def test_a_bomb_in_the_admins_trial_run_is_422_and_opens_no_job(app, client, auth_headers,
                                                                media_root, bomb):
    configure_slot(app, "slot-004", operation="sepia", enabled=False)
    response = client.post("/api/slots/slot-004/test", headers=auth_headers(),
                           data={"file": (io.BytesIO(bomb), "bomb.png", "image/png")},
                           content_type="multipart/form-data")
    assert_error(response, 422, "image_too_large")
    assert_contract(response)
    assert jobs(app) == [] and media_rows(app) == [] and files_under(media_root) == []
