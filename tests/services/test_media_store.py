"""The media path helper: atomic writes, limits, and no escape from the media root."""

from __future__ import annotations

import pytest

from photoslot.services.media import store
from photoslot.services.media.store import MediaPathError


@pytest.mark.parametrize("bad", ["../outside.jpg", "/etc/passwd", "results/../../x", "", "a\0b"])
def test_paths_outside_the_media_root_are_refused(app, bad):
    with app.app_context(), pytest.raises(MediaPathError):
        store.resolve(bad)


def test_write_read_delete_round_trip(app, media_root):
    with app.app_context():
        rel = store.relative_path("result", "job-1", "image/png")
        assert rel == "results/job-1.png"
        assert store.write_bytes(rel, b"abc") == 3
        assert (media_root / rel).read_bytes() == b"abc"
        assert store.read_bytes(rel) == b"abc"
        assert store.delete_file(rel) is True
        assert store.delete_file(rel) is False
