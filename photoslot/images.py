"""Image helpers shared by ingest, templates, thumbnails and the local provider: sniff by magic
bytes, decode safely, reduce a photo to a provider's working size, and encode every output one
way (one transparency rule, one JPEG quality per purpose)."""

from __future__ import annotations

import io
import weakref
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, Literal

from gevent.event import AsyncResult
from PIL import ExifTags, Image, ImageOps

from photoslot.errors import ApiError
from photoslot.offload import cpu_thread_idle, off_loop, off_loop_start

ACCEPTED_MIMES = ("image/jpeg", "image/png", "image/webp")
#: Pillow's guard: images with more pixels than this are refused (decompression bombs).
MAX_IMAGE_PIXELS = 60_000_000
#: The longest side of a thumbnail (templates and results, for the admin pages).
THUMBNAIL_SIDE = 320
THUMBNAIL_MIME = "image/jpeg"
#: JPEG quality by purpose: what the booth prints, what a provider works from, what admins
#: glance at, the JSON preview.
JPEG_QUALITY = {"result": 92, "provider": 90, "thumbnail": 82, "preview": 75}
Purpose = Literal["result", "provider", "thumbnail", "preview"]
#: libjpeg's DCT scaling (besides 1/1): a JPEG decoded at 1/8 still reads every entropy-coded
#: byte (so a truncated file is caught), but skips most of the pixel work.
_DCT_DENOMINATORS = (8, 4, 2)
_ALPHA_MODES = frozenset({"RGBA", "LA", "PA", "RGBa", "La"})

#: What an image can be read from: its bytes or a file (a spooled upload).
Source = bytes | Path


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


def require_image(source: Source) -> tuple[str, int, int]:
    """(mime, width, height), or ApiError 415 (not an accepted type) / 422 (undecodable, bomb).

    Checked without a full decode: the header (and its pixel count against the bomb limit), then
    a JPEG is decoded at 1/8 scale and a PNG or WEBP in full — every byte of the picture is read.
    Runs on the CPU thread."""
    mime = _sniff_source(source)
    with _opened(source) as image:
        width, height = image.size  # before the draft decode shrinks it
        off_loop(_check_decodes, image)
        return mime, width, height


@dataclass(frozen=True)
class ProviderInput:
    """An image as it goes to a provider: its bytes, their type and size in pixels."""

    data: bytes
    mime: str
    width: int
    height: int
    data_is_original: bool = False  # the upload's own bytes (max_input_side 0)


def provider_input(source: Source, max_side: int) -> tuple[str, ProviderInput]:
    """(the upload's mime, what the provider gets): ``source`` checked like ``require_image``
    and, unless ``max_side`` is 0, reduced to fit ``max_side``: decoded once (a JPEG at a DCT
    draft scale, see ``_draft_size``), turned upright by its EXIF orientation, metadata dropped,
    encoded once (a PNG or a transparent image as PNG, else JPEG). ``max_side`` 0 hands over the
    original bytes unchanged."""
    if max_side == 0:
        mime, width, height = require_image(source)
        data = source if isinstance(source, bytes) else source.read_bytes()
        return mime, ProviderInput(data, mime, width, height, data_is_original=True)
    mime = _sniff_source(source)
    with _opened(source) as image:
        return mime, off_loop(_reduce, image, max_side)


def _sniff_source(source: Source) -> str:
    if isinstance(source, bytes):
        head = source[:16]
    else:
        with source.open("rb") as file:
            head = file.read(16)
    mime = sniff_mime(head)
    if mime is None:
        raise ApiError(
            415,
            "unsupported_media_type",
            "the file is not a JPEG, PNG or WEBP image",
            {"accepted": list(ACCEPTED_MIMES)},
        )
    return mime


class _opened:  # noqa: N801  (used as a context manager, like open())
    """The image opened (header only) with its pixel count checked; Pillow's errors on the way
    in or out become ApiError 422 (``image_too_large`` for a bomb, else ``invalid_image``)."""

    def __init__(self, source: Source):
        self._file: BinaryIO = (io.BytesIO(source) if isinstance(source, bytes)
                                else source.open("rb"))
        self._image: Image.Image | None = None

    def __enter__(self) -> Image.Image:
        try:
            self._image = Image.open(self._file)  # reads the header only
            if self._image.width * self._image.height > Image.MAX_IMAGE_PIXELS:
                raise Image.DecompressionBombError(
                    f"{self._image.width}x{self._image.height} pixels")
        except BaseException as exc:
            self.__exit__(type(exc), exc, None)
            raise
        return self._image

    def __exit__(self, exc_type, exc, tb) -> None:
        if self._image is not None:
            self._image.close()
        self._file.close()
        if exc is None or isinstance(exc, ApiError) or not isinstance(exc, Exception):
            return  # success, our own answer, or a gevent.Timeout / kill: let it pass
        if isinstance(exc, Image.DecompressionBombError):
            raise ApiError(422, "image_too_large", "the image has too many pixels", {
                "max_pixels": Image.MAX_IMAGE_PIXELS, "reason": str(exc)}) from None
        # A hostile file can make Pillow's decoders raise nearly anything (struct.error,
        # IndexError, ...): whatever it is, the image is unusable.
        raise ApiError(422, "invalid_image", "the image cannot be decoded",
                       {"reason": str(exc)[:200]}) from None


def _draft_size(size: tuple[int, int], max_side: int) -> tuple[int, int]:
    """The size to ask a JPEG draft for: libjpeg decodes at 1/1, 1/2, 1/4 or 1/8 scale. A scale
    that lands just under ``max_side`` (at least 90 % of it) is taken as the result itself — no
    resampling pass, which would cost as much as the decode (a 6000 px photo and 1536: 1500 px);
    else the smallest scale still covering ``max_side``, resampled down after."""
    longest = max(size)
    for denominator in _DCT_DENOMINATORS:
        if 0.9 * max_side <= longest / denominator <= max_side:
            return (-(-size[0] // denominator), -(-size[1] // denominator))
    scale = min(1.0, max_side / longest)
    return (max(1, round(size[0] * scale)), max(1, round(size[1] * scale)))


def _is_jpeg(image: Image.Image) -> bool:
    # A JPEG with a multi-picture (MPF) segment — many cameras and phones write one — opens as
    # "MPO", a JPEG subclass: it has the same DCT draft mode.
    return image.format in ("JPEG", "MPO")


def _check_decodes(image: Image.Image) -> None:
    """Decode every byte of ``image`` (a JPEG at 1/8 scale); Pillow's error if it cannot."""
    if _is_jpeg(image):
        image.draft(image.mode, (max(1, image.width // 8), max(1, image.height // 8)))
    image.load()


def _reduce(image: Image.Image, max_side: int) -> ProviderInput:
    if _is_jpeg(image):
        image.draft(image.mode, _draft_size(image.size, max_side))
    image.load()
    return _reduced(image, max_side)


def _reduced(image: Image.Image, max_side: int) -> ProviderInput:
    """The provider's input from ``image`` once decoded (a JPEG at its draft scale)."""
    has_alpha = image.mode in _ALPHA_MODES or "transparency" in image.info
    # PNG stays lossless PNG; JPEG and WEBP become JPEG unless they carry transparency.
    mime = "image/png" if has_alpha or image.format == "PNG" else "image/jpeg"
    if has_alpha and image.mode not in ("RGBA", "LA"):
        image = image.convert("RGBA")  # a palette would resize by nearest neighbour
    elif image.mode not in ("RGB", "L", "RGBA", "LA"):
        image = image.convert("RGB")
    image.thumbnail((max_side, max_side), Image.Resampling.LANCZOS, reducing_gap=None)
    image = upright(image)  # after the resize: fewer pixels to turn
    return ProviderInput(encode(image, mime, "provider"), mime, image.width, image.height)


#: Uploads one worker follows at once (each holds its picture, ~6 MB for a 24 Mpx photo at 1/4
#: scale, from its header until its job starts).
FOLLOWED_PER_WORKER = 4
#: Those being followed; one that is dropped (its request failed) leaves by itself.
_followed: weakref.WeakSet[StreamingReduction] = weakref.WeakSet()


#: The most bytes one task of a followed upload decodes before handing the CPU thread back.
TASK_BYTES = 1024 * 1024
#: New bytes worth a task (fewer, larger pieces: each task opens the file and wakes the thread).
PIECE_BYTES = 256 * 1024


class StreamingReduction:
    """A JPEG upload reduced for its provider while it is still arriving (ADR 0015).

    The upload's spool file grows on the event loop; each ``advance`` lets the CPU thread decode
    what has been written so far, so at the last byte most of the decode is done — at a venue's
    uplink, all of it. It only uses the CPU thread when that is idle, and follows at most
    ``FOLLOWED_PER_WORKER`` uploads at once: under load, decoding every upload a little at a
    time would finish them all late (and hold a decoded picture each), so a busy worker decodes
    them one after the other at ``finish``, as before. The event loop never waits for the
    decoder before ``finish``. Anything out of the ordinary (not a JPEG, too many pixels, a
    header it cannot read, a decoding error, a file cut short) only stops it: ``finish`` then
    answers None and the caller runs ``provider_input`` on the spooled file, which gives every
    answer (415, 422) as before.
    """

    def __init__(self, max_side: int):
        self._decoding = _JpegDecoding(max_side)
        self._path: Path | None = None
        self._following = False
        self._handed = 0  # bytes the CPU thread was told of
        self.early_bytes = 0  # bytes decoded before ``finish`` (the rest came after the upload)
        self._task: AsyncResult | None = None

    def advance(self, path: Path, written: int) -> None:
        """The file at ``path`` now holds ``written`` bytes of the upload (the first file
        given is the one decoded). Returns at once; the decoding catches up on the CPU thread."""
        if self._path is None:
            self._path = path
            self._following = len(_followed) < FOLLOWED_PER_WORKER
            if self._following:
                _followed.add(self)
        if (self._following and path == self._path and written - self._handed >= PIECE_BYTES
                and (self._task is None or self._task.ready()) and cpu_thread_idle()):
            self._task = off_loop_start(self._decoding.read_until, path, written)
            self._handed = written

    def finish(self, path: Path, size: int) -> ProviderInput | None:
        """The provider's input, if ``path`` (now complete, ``size`` bytes) is the file that was
        followed as it arrived and that went well; else None."""
        _followed.discard(self)
        if path != self._path or not self._following:
            return None
        if self._task is not None:
            self._task.get()  # read_until never raises
        self.early_bytes = self._decoding.position
        return off_loop(self._decoding.finish, path, size)


class _JpegDecoding:
    """The decoder behind StreamingReduction; only ever used on the CPU thread, one call at a
    time. It does what ``ImageFile.load`` does for a JPEG, in as many pieces as the upload
    arrives in: libjpeg suspends at the end of the data it has and resumes with the next."""

    #: A camera's header (EXIF, maker notes, its own small preview) ends well before this.
    HEADER_LIMIT = 1024 * 1024
    READ_BLOCK = 256 * 1024

    def __init__(self, max_side: int):
        self.max_side = max_side
        self.position = 0  # bytes of the file read so far
        self.header = b""  # until the header can be parsed
        self.image: Image.Image | None = None
        self.decoder: Any = None
        self.rest = b""  # what the decoder left for the next piece (part of a block row)
        self.state: Literal["header", "decoding", "decoded", "off"] = "header"

    def read_until(self, path: Path, written: int, at_most: int = TASK_BYTES) -> None:
        """Decode the file's bytes up to ``written``, at most ``at_most`` of them this time (so
        a task never holds the CPU thread long: ~15 ms here for 1 MiB)."""
        written = min(written, self.position + at_most)
        try:
            with path.open("rb") as file:
                file.seek(self.position)
                while self.position < written and self.state in ("header", "decoding"):
                    data = file.read(min(self.READ_BLOCK, written - self.position))
                    if not data:
                        break
                    self.position += len(data)
                    self._take(data)
        except Exception:  # whatever it is, the ordinary path will meet it and answer it
            self._stop()

    def finish(self, path: Path, size: int) -> ProviderInput | None:
        """The reduced image once all ``size`` bytes are decoded; None if it did not go well."""
        self.read_until(path, size, at_most=size)
        if self.state != "decoded":
            self._stop()
            return None
        image, self.image = self.image, None
        assert image is not None
        image.readonly = 0  # decoded into its own memory, as ImageFile.load leaves it
        try:
            return _reduced(image, self.max_side)
        except Exception:
            return None

    def _take(self, data: bytes) -> None:
        if self.state == "header":
            self.header += data
            if not self._start():
                return
            data, self.header = self.header, b""  # libjpeg reads the header itself
        data = self.rest + data if self.rest else data
        consumed, error = self.decoder.decode(data)
        if consumed < 0:  # the end of the picture (error 0), or a broken one
            self.decoder.cleanup()
            self.decoder = None
            self.state = "decoded" if error >= 0 else "off"
            return
        self.rest = data[consumed:]

    def _start(self) -> bool:
        """Parse the header once it is all here and set the decoder up at the draft scale."""
        if len(self.header) >= 16 and sniff_mime(self.header[:16]) != "image/jpeg":
            self._stop()
            return False
        try:
            image = Image.open(io.BytesIO(self.header), formats=["JPEG"])
        except Image.DecompressionBombError:
            self._stop()
            return False
        except Exception:  # the header is not complete yet
            if len(self.header) > self.HEADER_LIMIT:
                self._stop()
            return False
        if (not _is_jpeg(image) or len(image.tile) != 1
                or image.width * image.height > Image.MAX_IMAGE_PIXELS):
            self._stop()
            return False
        image.draft(image.mode, _draft_size(image.size, self.max_side))
        image.load_prepare()
        decoder_name, extents, offset, args = image.tile[0]
        if offset != 0:
            self._stop()
            return False
        # Pillow's own incremental parser (ImageFile.Parser) builds its decoder the same way.
        self.decoder = Image._getdecoder(image.mode, decoder_name, args, image.decoderconfig)
        self.decoder.setimage(image.im, extents)
        image.tile = []
        self.image, self.state = image, "decoding"
        return True

    def _stop(self) -> None:
        if self.decoder is not None:
            self.decoder.cleanup()
        self.decoder, self.image, self.rest, self.header = None, None, b"", b""
        self.state = "off"


def upright(image: Image.Image) -> Image.Image:
    """``image`` turned by its EXIF orientation; the same object when it is already upright
    (``ImageOps.exif_transpose`` would copy every pixel of it)."""
    if image.getexif().get(ExifTags.Base.Orientation, 1) == 1:
        return image
    return ImageOps.exif_transpose(image)


@dataclass(frozen=True)
class Rendition:
    """A thumbnail: JPEG bytes and their size in pixels."""

    jpeg: bytes
    width: int
    height: int


def thumbnail(image: Image.Image) -> Rendition:
    """``image`` upright, scaled to fit THUMBNAIL_SIDE (never enlarged), as a JPEG. ``image``
    itself is left as it is."""
    image = upright(image)
    scale = THUMBNAIL_SIDE / max(image.size)
    if scale < 1:
        size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
        # Box-averaged by a whole factor first, then bicubic: a third of the time of a plain
        # bicubic pass (1024 px → 320 px: 2.6 ms against 8 ms), and for a thumbnail as sharp.
        # Image.thumbnail would also change the caller's image in place.
        image = image.resize(size, Image.Resampling.BICUBIC, reducing_gap=1.0)
    return Rendition(encode(image, THUMBNAIL_MIME, "thumbnail"), image.width, image.height)


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


@dataclass(frozen=True)
class BoothImage:
    """A provider's image as the booth gets it, and its thumbnail when one was asked for."""

    data: bytes
    mime: str
    width: int
    height: int
    thumbnail: Rendition | None = None


def booth_image(data: bytes, wanted: str, with_thumbnail: bool = False) -> BoothImage:
    """A provider's image checked like ``require_image`` and re-encoded as ``wanted`` unless it
    already is; ``with_thumbnail``: its thumbnail too. One decode for all three, on the CPU
    thread."""
    mime = _sniff_source(data)
    with _opened(data) as image:
        return off_loop(_booth_image, image, data, mime, wanted, with_thumbnail)


def _booth_image(image: Image.Image, data: bytes, mime: str, wanted: str,
                 with_thumbnail: bool) -> BoothImage:
    width, height = image.size  # before a draft decode shrinks it
    if mime == wanted:
        # Kept as it is: only checked (every byte read) and thumbnailed, a JPEG at a DCT scale.
        if _is_jpeg(image):
            image.draft(image.mode, (THUMBNAIL_SIDE, THUMBNAIL_SIDE) if with_thumbnail
                        else (max(1, width // 8), max(1, height // 8)))
        image.load()
        converted = data
    else:
        # Loaded before encoding: saving a file image not yet loaded makes Pillow copy it.
        image.load()
        converted = encode(image, wanted)
    return BoothImage(converted, wanted, width, height,
                      thumbnail(image) if with_thumbnail else None)
