"""images.StreamingReduction: the photo decoded for its provider while the upload arrives, with
exactly the result of ``provider_input``; anything unusual leaves the answer to that one."""

from __future__ import annotations

import io
import time
from pathlib import Path

import pytest
from PIL import Image

from photoslot import images
from photoslot.images import StreamingReduction, limit_decoded_pixels, provider_input
from photoslot.offload import cpu_thread_idle
from tests.ingest_support import camera_jpeg

CHUNK = 64 * 1024


@pytest.fixture(autouse=True)
def _none_followed(monkeypatch):
    """Each test starts with no upload followed (a failed test's may still be referenced), and
    every chunk of the (small) test photos is handed over."""
    images._followed.clear()
    monkeypatch.setattr(images, "PIECE_BYTES", 1)


def arrive(data: bytes, path: Path, side: int, chunk: int = CHUNK,
           wait_each: bool = False) -> StreamingReduction:
    """Write ``data`` to ``path`` the way the multipart reader spools an upload, telling a new
    StreamingReduction after each chunk; ``wait_each``: let the decoder catch up every time, as
    it does while a real upload trickles in."""
    streaming = StreamingReduction(side)
    with path.open("wb", buffering=0) as file:
        for start in range(0, len(data), chunk):
            file.write(data[start:start + chunk])
            streaming.advance(path, min(len(data), start + chunk))
            if wait_each and streaming._task is not None:
                streaming._task.get()
                while not cpu_thread_idle():  # the thread marks its task done just after
                    time.sleep(0.001)
    return streaming


def mpo() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (1200, 800), "red").save(out, "MPO", save_all=True,
                                              append_images=[Image.new("RGB", (160, 120))])
    return out.getvalue()


@pytest.mark.parametrize(("photo", "side"), [
    (camera_jpeg((3000, 2000), orientation=6), 1536),  # turned upright, no metadata
    (camera_jpeg((3000, 2000)), 1000),  # decoded at 1/2, then resampled
    (camera_jpeg((640, 480)), 1536),  # never enlarged
    (mpo(), 300),
])
@pytest.mark.parametrize("wait_each", [False, True])
def test_the_result_is_exactly_what_provider_input_gives(tmp_path, photo, side, wait_each):
    path = tmp_path / "upload.part"
    streaming = arrive(photo, path, side, wait_each=wait_each)
    assert streaming.finish(path, len(photo)) == provider_input(photo, side)[1]


def test_the_decoding_is_done_by_the_last_byte(tmp_path):
    photo = camera_jpeg((3000, 2000))
    path = tmp_path / "upload.part"
    streaming = arrive(photo, path, 1536, wait_each=True)
    assert streaming._decoding.state == "decoded"  # finish has only the encoding left
    assert streaming.finish(path, len(photo)) == provider_input(photo, 1536)[1]


def test_a_header_that_comes_in_pieces_is_waited_for(tmp_path):
    photo = camera_jpeg((1600, 1200), orientation=3)
    path = tmp_path / "upload.part"
    streaming = arrive(photo, path, 800, chunk=100, wait_each=True)
    assert streaming.finish(path, len(photo)) == provider_input(photo, 800)[1]


def truncated() -> bytes:
    photo = camera_jpeg((1600, 1200))
    return photo[: len(photo) * 2 // 3]


def corrupted() -> bytes:
    photo = bytearray(camera_jpeg((1600, 1200)))
    photo[len(photo) // 2:len(photo) // 2 + 64] = b"\xff\xd0" * 32  # restart markers, no DRI
    return bytes(photo)


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (600, 400), "red").save(out, "PNG")
    return out.getvalue()


@pytest.mark.parametrize("upload", [truncated, png, lambda: b"GIF89a" + b"\0" * 100,
                                    lambda: b"\xff\xd8\xff" + b"\0" * 2_000_000])
def test_anything_unusual_is_left_to_the_ordinary_decode(tmp_path, upload):
    data = upload()
    path = tmp_path / "upload.part"
    assert arrive(data, path, 1536, wait_each=True).finish(path, len(data)) is None


def test_a_corrupted_jpeg_is_never_given_a_result_provider_input_would_refuse(tmp_path):
    data = corrupted()
    path = tmp_path / "upload.part"
    streamed = arrive(data, path, 1536, wait_each=True).finish(path, len(data))
    try:
        expected = provider_input(data, 1536)[1]
    except Exception:  # libjpeg may refuse it or, as a viewer would, show it damaged
        expected = None
    assert streamed == expected


def test_a_decompression_bomb_is_not_decoded(tmp_path):
    limit_decoded_pixels()
    Image.MAX_IMAGE_PIXELS = 1_000_000
    try:
        data = camera_jpeg((1600, 1200))
        path = tmp_path / "upload.part"
        streaming = arrive(data, path, 1536, wait_each=True)
        assert streaming._decoding.state == "off"
        assert streaming.finish(path, len(data)) is None
    finally:
        limit_decoded_pixels()


def test_only_the_file_that_was_followed_is_answered_for(tmp_path):
    photo = camera_jpeg((1200, 800))
    followed, other = tmp_path / "first.part", tmp_path / "second.part"
    streaming = arrive(photo, followed, 600)
    other.write_bytes(photo)
    assert streaming.finish(other, len(photo)) is None
    assert StreamingReduction(600).finish(other, len(photo)) is None  # never told of a file


def test_a_busy_worker_follows_no_more_than_its_share_of_uploads(tmp_path):
    photo = camera_jpeg((1200, 800))
    followed = []
    for number in range(images.FOLLOWED_PER_WORKER + 2):
        path = tmp_path / f"upload-{number}.part"
        followed.append((arrive(photo, path, 600, wait_each=True), path))
    results = [streaming.finish(path, len(photo)) for streaming, path in followed]
    expected = provider_input(photo, 600)[1]
    assert results == [expected] * images.FOLLOWED_PER_WORKER + [None, None]
    # Once finished, they make room for the next ones.
    assert arrive(photo, tmp_path / "next.part", 600).finish(
        tmp_path / "next.part", len(photo)) == expected


def test_an_idle_thread_is_needed_to_start_a_piece(tmp_path, monkeypatch):
    monkeypatch.setattr(images, "cpu_thread_idle", lambda: False)
    photo = camera_jpeg((1200, 800))
    path = tmp_path / "upload.part"
    streaming = arrive(photo, path, 600)
    assert streaming._task is None  # nothing done while the worker was busy ...
    assert streaming.finish(path, len(photo)) == provider_input(photo, 600)[1]  # ... but at the end


def test_small_pieces_wait_for_a_larger_one_or_the_end(tmp_path, monkeypatch):
    monkeypatch.setattr(images, "PIECE_BYTES", 4000)
    photo = camera_jpeg((3000, 2000))
    path = tmp_path / "upload.part"
    streaming = StreamingReduction(1536)
    with path.open("wb", buffering=0) as file:
        file.write(photo[:3000])
        streaming.advance(path, 3000)
        assert streaming._task is None
        file.write(photo[3000:])
        streaming.advance(path, len(photo))
        assert streaming._task is not None
    assert streaming.finish(path, len(photo)) == provider_input(photo, 1536)[1]
