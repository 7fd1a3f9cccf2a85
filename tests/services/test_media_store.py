"""The media path helper: atomic writes, limits, and no escape from the media root."""

from __future__ import annotations

import pytest

from photoslot.services import media_store
from photoslot.services.media_store import MediaPathError


@pytest.mark.parametrize("bad", ["../outside.jpg", "/etc/passwd", "results/../../x", "", "a\0b"])
def test_paths_outside_the_media_root_are_refused(app, bad):
    with app.app_context(), pytest.raises(MediaPathError):
        media_store.resolve(bad)


def test_write_read_delete_round_trip(app, media_root):
    with app.app_context():
        rel = media_store.relative_path("result", "job-1", "image/png")
        assert rel == "results/job-1.png"
        assert media_store.write_bytes(rel, b"abc") == 3
        assert (media_root / rel).read_bytes() == b"abc"
        assert media_store.read_bytes(rel) == b"abc"
        assert media_store.delete_file(rel) is True
        assert media_store.delete_file(rel) is False
