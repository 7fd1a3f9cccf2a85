"""Fault suite, media storage: a full disk is 507 ``storage_full``, a read-only one 503
``storage_unavailable`` with Retry-After; nothing is left half-written and the next request that
fits works.

The real thing where this machine allows it (a small tmpfs mounted over the media root: root
only); an injected OSError at the one media write helper everywhere else, and for the result
write, which a real full disk cannot be made to hit precisely.
"""

from __future__ import annotations

import errno
import io
import random
import subprocess
from pathlib import Path

import pytest
from PIL import Image

from photoslot.services.media import store
from tests.contract import assert_contract, assert_error
from tests.ingest_support import (
    booth_parts,
    configure_slot,
    content_type,
    files_under,
    jobs,
    media_rows,
    multipart,
    photo_bytes,
    set_password,
)

INGEST = "/api/ingest/slot-003"
TMPFS_BYTES = 512 * 1024


def noisy_png(side: int) -> bytes:
    """A PNG that does not compress: about 3 × side² bytes."""
    buffer = io.BytesIO()
    pixels = random.Random(side).randbytes(3 * side * side)
    Image.frombytes("RGB", (side, side), pixels).save(buffer, "PNG")
    return buffer.getvalue()


def _mount(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["mount", *args], capture_output=True, text=True, check=False)


@pytest.fixture
def tmpfs_media(media_root: Path):
    """A 512 KiB tmpfs over this test's media root; skipped where mounting is not allowed."""
    mounted = _mount("-t", "tmpfs", "-o", f"size={TMPFS_BYTES},mode=0755", "tmpfs",
                     str(media_root))
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({mounted.stderr.strip()}); the injected "
                    "OSError tests cover the same paths")
    try:
        yield media_root
    finally:
        subprocess.run(["umount", "-l", str(media_root)], check=False)


def post(client, photo: bytes):
    return client.post(INGEST, data=multipart(booth_parts(photo)), content_type=content_type())


def assert_nothing_kept(app, root: Path) -> None:
    assert files_under(root) == [], files_under(root)
    assert media_rows(app) == [] and all(job.status != "pending" for job in jobs(app))


def test_a_full_disk_is_507_and_keeps_nothing_then_a_photo_that_fits_works(
        tmpfs_media, make_app, auth_headers):
    app = make_app()
    set_password(app)
    configure_slot(app)
    client = app.test_client()
    too_big = noisy_png(450)  # ~600 KB: more than the whole tmpfs
    assert len(too_big) > TMPFS_BYTES

    response = post(client, too_big)
    error = assert_error(response, 507, "storage_full")
    assert_contract(response)
    assert error["details"] == {"reason": "ENOSPC"} and "Retry-After" not in response.headers
    assert_nothing_kept(app, tmpfs_media)

    template = client.post("/api/template-media/register", headers=auth_headers(),
                           data={"file": (io.BytesIO(too_big), "big.png")},
                           content_type="multipart/form-data")
    assert_error(template, 507, "storage_full")
    assert_contract(template)
    assert_nothing_kept(app, tmpfs_media)

    fits = post(client, photo_bytes((120, 90)))
    assert fits.status_code == 200, fits.get_json()


def test_a_read_only_media_root_is_503_with_retry_after_and_recovers(tmpfs_media, make_app):
    app = make_app()
    set_password(app)
    configure_slot(app)
    client = app.test_client()
    assert _mount("-o", "remount,ro", str(tmpfs_media)).returncode == 0
    try:
        response = post(client, photo_bytes())
        error = assert_error(response, 503, "storage_unavailable")
        assert_contract(response)
        assert error["details"] == {"reason": "EROFS"}
        assert response.headers["Retry-After"] == str(store.STORAGE_RETRY_AFTER_S)
        assert jobs(app) == []
    finally:
        assert _mount("-o", "remount,rw", str(tmpfs_media)).returncode == 0
    assert post(client, photo_bytes()).status_code == 200


@pytest.fixture
def failing_writes(monkeypatch):
    """Make media writes under ``where`` fail with ``errno`` after half of the bytes."""

    def arm(where: str, code: int) -> None:
        real_write = store.MediaWriter.write

        def write(self, data: bytes) -> None:
            if f"/{where}/" not in str(self.path):
                return real_write(self, data)
            real_write(self, data[: len(data) // 2])  # a half-written file on disk
            with store._storage_errors():
                raise OSError(code, "injected")

        monkeypatch.setattr(store.MediaWriter, "write", write)

    return arm


@pytest.mark.parametrize("where, code, status, name", [
    ("results", errno.ENOSPC, 507, "storage_full"),
    ("results", errno.EACCES, 503, "storage_unavailable"),
    ("thumbs", errno.EDQUOT, 507, "storage_full"),
    ("inputs", errno.EROFS, 503, "storage_unavailable"),
])
def test_a_failing_media_write_ends_the_job_and_leaves_no_file(
        make_app, media_root, failing_writes, where, code, status, name):
    app = make_app()
    set_password(app)
    configure_slot(app)
    failing_writes(where, code)

    response = app.test_client().post(INGEST, data=multipart(booth_parts(photo_bytes())),
                                      content_type=content_type())

    error = assert_error(response, status, name)
    assert_contract(response)
    assert ("Retry-After" in response.headers) == (status == 503)
    assert files_under(media_root) == []
    assert [m.kind for m in media_rows(app)] in ([], ["input"])  # the input row, expired
    if where == "inputs":
        assert jobs(app) == []  # refused while the upload was spooled: no job was opened
        return
    [job] = jobs(app)
    assert (job.status, job.error_code) == ("error", name)
    assert error["details"]["job_id"] == job.id == response.headers["X-Job-Id"]
    assert "injected" in job.error_message
