"""Streaming multipart reader for ingest: fields in memory, files spooled under the media root.

Werkzeug's form parser only hands over fields once the whole body is read. The booth sends its
text fields (the password among them) before the photo, so we drive Werkzeug's sans-IO
``MultipartDecoder`` ourselves: the caller's ``authorize`` hook sees the fields as soon as the
first file part starts, before any photo byte is stored, and every file part is cut off at the
size limit while it streams. The whole body is counted too (``max_body_bytes``): the caller
turns off Werkzeug's MAX_CONTENT_LENGTH, whose up-front Content-Length check would answer 413
before the password could answer 401.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import BinaryIO

from werkzeug.exceptions import ClientDisconnected, RequestEntityTooLarge
from werkzeug.sansio.multipart import (
    Data,
    Epilogue,
    Field,
    File,
    MultipartDecoder,
    NeedData,
    State,
)

from photoslot.config import BODY_SLACK_BYTES
from photoslot.errors import ApiError
from photoslot.services.media import store

# Liberal: the booth's field first, then common names, else the first file part.
FILE_FIELD_PREFERENCE = ("fileToUpload", "file", "image", "photo", "media")
MAX_FIELD_BYTES = 64 * 1024
MAX_PARTS = 100
_CHUNK = 64 * 1024

#: ``authorize(fields, final)`` → True once the request is authorized (then it is not called
#: again); False to wait for more fields; raises ApiError to reject. ``final`` = body complete.
Authorize = Callable[[dict[str, str], bool], bool]


@dataclass
class SpooledFile:
    """One file part stored at ``path`` (relative to the media root)."""

    name: str
    filename: str | None
    path: str
    size: int = 0


@dataclass
class Upload:
    """A received multipart body: text fields (first value per name) and spooled file parts."""

    fields: dict[str, str] = field(default_factory=dict)
    files: list[SpooledFile] = field(default_factory=list)

    def photo(self) -> SpooledFile | None:
        """The file part to process, by field-name preference."""
        for name in FILE_FIELD_PREFERENCE:
            for part in self.files:
                if part.name == name:
                    return part
        return self.files[0] if self.files else None

    def discard(self) -> None:
        """Delete every spooled file (safe to call more than once)."""
        for part in self.files:
            store.delete_file(part.path)


def max_body_bytes(max_file_bytes: int) -> int:
    """The most bytes an upload body may have: the file limit plus ``BODY_SLACK_BYTES``."""
    return max_file_bytes + BODY_SLACK_BYTES


def too_large(max_bytes: int) -> ApiError:
    """The 413 every size check answers with."""
    return ApiError(413, "payload_too_large",
                    f"the upload is larger than {max_bytes} bytes", {"max_bytes": max_bytes})


def receive(stream: BinaryIO, boundary: bytes, max_file_bytes: int,
            authorize: Authorize) -> Upload:
    """Read the whole body; on any error the spooled files are deleted and the error raised."""
    upload = Upload()
    try:
        _receive(stream, boundary, max_file_bytes, authorize, upload)
    except BaseException:
        upload.discard()
        raise
    return upload


def _receive(stream: BinaryIO, boundary: bytes, max_file_bytes: int, authorize: Authorize,
             upload: Upload) -> None:
    decoder = MultipartDecoder(boundary, max_parts=MAX_PARTS)
    authorized = False
    field_name: str | None = None
    field_data = bytearray()
    out: BinaryIO | None = None
    current: SpooledFile | None = None
    body_bytes, max_body = 0, max_body_bytes(max_file_bytes)
    try:
        while True:
            chunk = _read(stream)
            if not chunk and decoder.state is not State.EPILOGUE:
                # Under gunicorn (wsgi.input_terminated) a body cut short of its Content-Length
                # just ends; Werkzeug's ClientDisconnected only comes from its own LimitedStream.
                raise _incomplete()
            body_bytes += len(chunk)
            decoder.receive_data(chunk or None)
            event = _next(decoder)
            while not isinstance(event, NeedData | Epilogue):
                if isinstance(event, File):
                    if not authorized:
                        authorized = authorize(dict(upload.fields), False)
                    current = SpooledFile(event.name, event.filename, _spool_path())
                    upload.files.append(current)
                    out = open(store.resolve(current.path), "wb")  # noqa: SIM115
                elif isinstance(event, Field):
                    field_name, field_data = event.name, bytearray()
                elif isinstance(event, Data) and out is not None and current is not None:
                    current.size += len(event.data)
                    if current.size > max_file_bytes:
                        raise too_large(max_file_bytes)
                    out.write(event.data)
                    if not event.more_data:
                        out.close()
                        out = current = None
                elif isinstance(event, Data):
                    field_data += event.data
                    if len(field_data) > MAX_FIELD_BYTES:
                        raise too_large(MAX_FIELD_BYTES)
                    if not event.more_data and field_name is not None:
                        upload.fields.setdefault(field_name, field_data.decode("utf-8", "replace"))
                event = _next(decoder)
            if body_bytes > max_body:
                # After this chunk's events: fields that came first were authorized (401 wins).
                raise too_large(max_file_bytes)
            if len(decoder.buffer) > MAX_FIELD_BYTES:
                # Drained data leaves only a partial boundary behind; more means endless headers.
                raise ApiError(400, "malformed_multipart", "a multipart part header is too long")
            if isinstance(event, Epilogue) or not chunk:
                break
    finally:
        if out is not None:
            out.close()
    if not authorized:
        authorize(dict(upload.fields), True)


def _read(stream: BinaryIO) -> bytes:
    try:
        return stream.read(_CHUNK)
    except ClientDisconnected:
        raise _incomplete() from None


def _incomplete() -> ApiError:
    return ApiError(400, "incomplete_upload",
                    "the body ended before the upload was complete (its closing boundary)")


def _next(decoder: MultipartDecoder):
    try:
        return decoder.next_event()
    except RequestEntityTooLarge:
        raise ApiError(413, "payload_too_large", f"more than {MAX_PARTS} parts",
                       {"max_parts": MAX_PARTS}) from None
    except ValueError as exc:
        raise ApiError(400, "malformed_multipart", f"the multipart body is malformed: {exc}",
                       {}) from None


def _spool_path() -> str:
    path = f"{store.KIND_DIRS['input']}/.upload-{uuid.uuid4().hex}.part"
    os.makedirs(store.resolve(path).parent, exist_ok=True)
    return path
