"""Image helpers shared by ingest, templates, thumbnails and the local provider: sniff by magic
bytes, decode safely, and encode every output one way (one transparency rule, one JPEG quality
per purpose)."""

from __future__ import annotations

import io
from typing import Literal

from PIL import Image

from photoslot.errors import ApiError
from photoslot.offload import off_loop

ACCEPTED_MIMES = ("image/jpeg", "image/png", "image/webp")
#: Pillow's guard: images with more pixels than this are refused (decompression bombs).
MAX_IMAGE_PIXELS = 60_000_000
#: JPEG quality by purpose: what the booth prints, what admins glance at, the JSON preview.
JPEG_QUALITY = {"result": 92, "thumbnail": 82, "preview": 75}
Purpose = Literal["result", "thumbnail", "preview"]


def limit_decoded_pixels() -> None:
    """Set Pillow's process-wide decompression-bomb limit (called once by the app factory)."""
    Image.MAX_IMAGE_PIXELS = MAX_IMAGE_PIXELS


def sniff_mime(head: bytes) -> str | None:
    """The image type from the first bytes, or None if it is not JPEG, PNG or WEBP."""
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    return None


def require_image(data: bytes) -> tuple[str, int, int]:
    """(mime, width, height), or ApiError 415 (not an accepted type) / 422 (undecodable, bomb)."""
    mime = sniff_mime(data[:16])
    if mime is None:
        raise ApiError(
            415,
            "unsupported_media_type",
            "the file is not a JPEG, PNG or WEBP image",
            {"accepted": list(ACCEPTED_MIMES)},
        )
    try:
        with Image.open(io.BytesIO(data)) as image:  # reads the header only
            if image.width * image.height > Image.MAX_IMAGE_PIXELS:
                raise Image.DecompressionBombError(f"{image.width}x{image.height} pixels")
            off_loop(image.load)
            return mime, image.width, image.height
    except Image.DecompressionBombError as exc:
        raise ApiError(422, "image_too_large", "the image has too many pixels", {
            "max_pixels": Image.MAX_IMAGE_PIXELS, "reason": str(exc)}) from None
    except (OSError, SyntaxError, ValueError) as exc:
        raise ApiError(422, "invalid_image", "the image cannot be decoded",
                       {"reason": str(exc)[:200]}) from None


def booth_format(upload_mime: str) -> str:
    """The format the booth gets back: PNG for a PNG upload (it may carry transparency), else
    JPEG — DSLR Remote Pro saves the answer in place of the file it sent."""
    return "image/png" if upload_mime == "image/png" else "image/jpeg"


def flatten(image: Image.Image) -> Image.Image:
    """RGB (or L) for JPEG: transparent areas become white, never black."""
    if image.mode in ("RGB", "L"):
        return image
    if image.mode in ("RGBA", "LA", "P", "PA", "La", "RGBa"):
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, "white")
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return image.convert("RGB")


def encode(image: Image.Image, mime: str, purpose: Purpose = "result") -> bytes:
    """``image`` as PNG (kept as it is) or JPEG (flattened, at the purpose's quality)."""
    out = io.BytesIO()
    if mime == "image/png":
        image.save(out, "PNG")
    else:
        flatten(image).save(out, "JPEG", quality=JPEG_QUALITY[purpose])
    return out.getvalue()


def convert(data: bytes, mime: str) -> bytes:
    """Re-encode a decodable image as ``mime`` (a provider's PNG as the booth's JPEG)."""
    return off_loop(_convert, data, mime)


def _convert(data: bytes, mime: str) -> bytes:
    with Image.open(io.BytesIO(data)) as image:
        return encode(image, mime)
