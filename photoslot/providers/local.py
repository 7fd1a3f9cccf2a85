"""The offline ``local`` provider: real Pillow operations, optionally slowed down on purpose.

It makes the embedded default useful without any API key and drives the tests and benchmarks:
``delay_ms`` simulates a slow remote provider.
"""

from __future__ import annotations

import io
import logging
import time
from collections.abc import Callable
from typing import Any, ClassVar

import gevent
from PIL import Image, ImageOps

from photoslot import images
from photoslot.log import log_event
from photoslot.offload import off_loop
from photoslot.providers.base import (
    Deadline,
    InputImage,
    Provider,
    ProviderError,
    ProviderRequest,
    ProviderResult,
)

log = logging.getLogger(__name__)

_DELAY_MS = {
    "type": "integer",
    "minimum": 0,
    "maximum": 600_000,
    "default": 0,
    "description": "Wait this long before answering, to simulate a slow provider.",
}


def _schema(properties: dict[str, Any], required: tuple[str, ...] = ()) -> dict[str, Any]:
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "properties": {**properties, "delay_ms": _DELAY_MS},
        "required": list(required),
        "additionalProperties": False,
    }


_UNIT = {"type": "number", "minimum": 0, "maximum": 1, "default": 1}


class LocalProvider(Provider):
    """Pillow on the gateway itself: grayscale, sepia, frame (template overlay), resize."""

    name: ClassVar[str] = "local"
    operations: ClassVar[dict[str, dict[str, Any]]] = {
        "grayscale": _schema({}),
        "sepia": _schema({"strength": {**_UNIT, "description": "0 = original, 1 = full sepia"}}),
        "frame": _schema({"opacity": {**_UNIT, "description": "Opacity of the template overlay"}}),
        "resize": _schema(
            {"max_side": {"type": "integer", "minimum": 16, "maximum": 8192,
                          "description": "Longest side of the result, aspect ratio kept"}},
            required=("max_side",),
        ),
    }
    needs_template: ClassVar[frozenset[str]] = frozenset({"frame"})

    def process(self, request: ProviderRequest, deadline: Deadline) -> ProviderResult:
        """Apply the operation; ``delay_ms`` sleeps cooperatively (a gevent.Timeout can cut it)."""
        started = time.time()
        delay_ms = int(request.params.get("delay_ms", 0))
        if delay_ms:
            # gevent.sleep, not time.sleep: it yields to the hub even where nothing is patched,
            # so the caller's gevent.Timeout interrupts it exactly like a slow network read.
            gevent.sleep(delay_ms / 1000)
        work_started = time.monotonic()
        operation = _OPERATIONS.get(request.operation)
        if operation is None:
            raise ProviderError("provider_error", f"unknown operation {request.operation!r}")
        try:
            data, mime = off_loop(_transform, operation, request)
        except (OSError, ValueError, Image.DecompressionBombError) as exc:
            raise ProviderError("provider_error", f"image processing failed: {exc}") from None
        work_ms = int((time.monotonic() - work_started) * 1000)
        log_event(log, "local_provider_call", job_id=request.job_id,
                  operation=request.operation, started=started, finished=time.time())
        return ProviderResult(data, mime, timings={"delay_ms": delay_ms, "work_ms": work_ms})


def _transform(operation: Callable, request: ProviderRequest) -> tuple[bytes, str]:
    """Decode, transform and encode in one go (runs in the thread pool, off the event loop)."""
    return _encode(operation(_open(request.photo), request), request.photo.mime)


def _open(image: InputImage) -> Image.Image:
    opened = Image.open(io.BytesIO(image.data))
    return ImageOps.exif_transpose(opened)


def _encode(image: Image.Image, input_mime: str) -> tuple[bytes, str]:
    """In the format the booth gets back: PNG stays PNG, JPEG and WEBP come back as JPEG."""
    mime = images.booth_format(input_mime)
    return images.encode(image, mime), mime


def _grayscale(photo: Image.Image, request: ProviderRequest) -> Image.Image:
    if photo.mode in ("RGBA", "LA", "PA"):
        return ImageOps.grayscale(photo).convert("LA")
    return ImageOps.grayscale(photo)


def _sepia(photo: Image.Image, request: ProviderRequest) -> Image.Image:
    strength = float(request.params.get("strength", 1))
    rgb = photo.convert("RGB")
    toned = ImageOps.colorize(ImageOps.grayscale(rgb), black="#2e1f0f", white="#fff4dc")
    return Image.blend(rgb, toned, strength)


def _frame(photo: Image.Image, request: ProviderRequest) -> Image.Image:
    if not request.templates:
        raise ProviderError("provider_error", "operation 'frame' needs a template on the slot")
    overlay = _open(request.templates[0]).convert("RGBA").resize(photo.size)
    opacity = float(request.params.get("opacity", 1))
    if opacity < 1:
        overlay.putalpha(overlay.getchannel("A").point(lambda a: int(a * opacity)))
    base = photo.convert("RGBA")
    base.alpha_composite(overlay)
    return base if request.photo.mime == "image/png" else base.convert("RGB")


def _resize(photo: Image.Image, request: ProviderRequest) -> Image.Image:
    side = int(request.params["max_side"])
    scale = side / max(photo.size)
    size = (max(1, round(photo.width * scale)), max(1, round(photo.height * scale)))
    return photo.resize(size, Image.Resampling.LANCZOS)


_OPERATIONS: dict[str, Callable[[Image.Image, ProviderRequest], Image.Image]] = {
    "grayscale": _grayscale,
    "sepia": _sepia,
    "frame": _frame,
    "resize": _resize,
}
