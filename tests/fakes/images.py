"""Image helpers shared by the fake providers and the driver tests."""

from __future__ import annotations

import io
import random
from typing import Any

from PIL import Image, ImageOps

from tests.fakes import FakeServer, RecordedRequest, Reply, latency_of


def make_image(width: int = 64, height: int = 48, fmt: str = "PNG", seed: int = 1) -> bytes:
    """A small, deterministic, non-uniform test image encoded as ``fmt``."""
    rng = random.Random(seed)
    image = Image.new("RGB", (width, height))
    image.putdata(
        [
            (rng.randrange(256), (x * 5) % 256, (y * 7) % 256)
            for y in range(height)
            for x in range(width)
        ]
    )
    buffer = io.BytesIO()
    image.save(buffer, format=fmt)
    return buffer.getvalue()


def open_image(data: bytes) -> Image.Image | None:
    """The decoded image, or None when ``data`` is not an image Pillow can read."""
    try:
        image = Image.open(io.BytesIO(data))
        image.load()
    except (OSError, ValueError, Image.DecompressionBombError):
        return None
    return image


def image_size(data: bytes) -> tuple[int, int] | None:
    """The image's size from its header alone, or None when Pillow cannot identify it."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            return image.size
    except (OSError, ValueError, Image.DecompressionBombError):
        return None


def transform(data: bytes) -> bytes:
    """What the fakes "generate": the input inverted and mirrored, as PNG."""
    image = open_image(data)
    if image is None:
        raise ValueError("not an image")
    result = ImageOps.mirror(ImageOps.invert(image.convert("RGB")))
    buffer = io.BytesIO()
    result.save(buffer, format="PNG")
    return buffer.getvalue()


def same_pixels(a: bytes, b: bytes) -> bool:
    """True when both byte strings decode to identical RGB pixels."""
    first, second = open_image(a), open_image(b)
    if first is None or second is None:
        return False
    return first.convert("RGB").tobytes() == second.convert("RGB").tobytes()


class ImageHost(FakeServer):
    """Stands in for the gateway's ``GET /public/media/{token}``: serves and expires images."""

    def __init__(self, **kwargs: Any):
        super().__init__(**kwargs)
        self._blobs: dict[str, tuple[bytes, str] | None] = {}

    def add(self, name: str, data: bytes, mime: str = "image/png") -> str:
        """Publish ``data`` and return its absolute URL."""
        self._blobs[name] = (data, mime)
        return f"{self.base_url}/public/media/{name}"

    def expire(self, name: str) -> None:
        """Make the link answer 410 Gone, like an expired public link."""
        self._blobs[name] = None

    def handle(self, record: RecordedRequest) -> Reply:
        """Serve a published image; 410 when expired, 404 when never published."""
        mode = self.mode_for(record)
        name = record.path.removeprefix("/public/media/")
        if record.method != "GET" or name not in self._blobs:
            return Reply(404, b"not found", "text/plain", latency_of(mode))
        blob = self._blobs[name]
        if blob is None:
            return Reply(410, b"gone", "text/plain", latency_of(mode))
        return Reply(200, blob[0], blob[1], latency_of(mode))
