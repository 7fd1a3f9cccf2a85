"""Streaming multipart reader for uploads, on Werkzeug's sans-IO ``MultipartDecoder``.

Werkzeug's form parser only hands over fields once the whole body is read. The booth sends its
text fields (the password among them) before the photo, so we drive the decoder ourselves: the
``authorize`` hook sees the fields as soon as the first file part starts, before any photo byte
is stored — nothing reaches the disk before the request is authorized — and every file part is
cut off at its size limit while it streams (the ``Upload`` decides where the bytes go). The whole
body is counted too (``max_body_bytes``): the caller turns off Werkzeug's MAX_CONTENT_LENGTH,
whose up-front Content-Length check would answer 413 before the password could answer 401.

Every read is bounded (ADR 0010): it may wait at most ``idle_s`` for the next chunk and never past
the request's deadline, else 408 ``upload_timeout``. gunicorn's gevent worker reads the body
straight from a blocking socket and never times it out itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import BinaryIO

import gevent
from werkzeug.exceptions import ClientDisconnected, RequestEntityTooLarge
from werkzeug.http import parse_options_header
from werkzeug.sansio.multipart import (
    Data,
    Epilogue,
    Field,
    File,
    MultipartDecoder,
    NeedData,
    State,
)

from photoslot.clock import Deadline
from photoslot.errors import ApiError
from photoslot.services.ingest.upload import (
    Authorize,
    SpooledFile,
    Upload,
    max_body_bytes,
    too_large,
)

MAX_FIELD_BYTES = 64 * 1024
MAX_PARTS = 100
_CHUNK = 64 * 1024


def form_boundary(content_type: str | None) -> bytes | None:
    """The boundary of a ``multipart/form-data`` Content-Type; None for any other body."""
    mimetype, options = parse_options_header(content_type or "")
    boundary = options.get("boundary")
    if mimetype != "multipart/form-data" or not boundary:
        return None
    return boundary.encode("latin-1")


class _Stalled(Exception):
    """No chunk arrived in time. An Exception, not gevent's BaseException Timeout: gunicorn's body
    reader then marks the body failed and closes the connection after our answer."""


@dataclass(frozen=True)
class ReadLimits:
    """How long the body may take: ``idle_s`` per chunk at most, all of it before ``deadline``."""

    deadline: Deadline
    idle_s: float


def receive(stream: BinaryIO, boundary: bytes, upload: Upload, authorize: Authorize,
            limits: ReadLimits) -> None:
    """Read the whole body into ``upload``; on any error its spooled files are deleted and the
    error raised."""
    try:
        _receive(stream, boundary, authorize, upload, limits)
    except BaseException:
        upload.discard()
        raise


def _receive(stream: BinaryIO, boundary: bytes, authorize: Authorize, upload: Upload,
             limits: ReadLimits) -> None:
    decoder = MultipartDecoder(boundary, max_parts=MAX_PARTS)
    authorized = False
    field_name: str | None = None
    field_data = bytearray()
    current: SpooledFile | None = None
    body_bytes, max_body = 0, max_body_bytes(upload.max_file_bytes)
    while True:
        chunk = _read(stream, limits)
        if not chunk and decoder.state is not State.EPILOGUE:
            # Under gunicorn (wsgi.input_terminated) a body cut short of its Content-Length just
            # ends; Werkzeug's ClientDisconnected only comes from its own LimitedStream.
            raise _incomplete()
        body_bytes += len(chunk)
        decoder.receive_data(chunk or None)
        event = _next(decoder)
        while not isinstance(event, NeedData | Epilogue):
            if isinstance(event, File):
                if not authorized:
                    authorize(dict(upload.fields))  # raises unless authorized: nothing spooled
                    authorized = True
                current = upload.start_file(event.name, event.filename)
            elif isinstance(event, Field):
                field_name, field_data = event.name, bytearray()
            elif isinstance(event, Data) and current is not None:
                current.write(event.data)
                if not event.more_data:
                    current.close()
                    current = None
            elif isinstance(event, Data):
                field_data += event.data
                if len(field_data) > MAX_FIELD_BYTES:
                    raise too_large(MAX_FIELD_BYTES)
                if not event.more_data and field_name is not None:
                    upload.add_field(field_name, field_data.decode("utf-8", "replace"))
            event = _next(decoder)
        if body_bytes > max_body:
            # After this chunk's events: fields that came first were authorized (401 wins).
            raise too_large(upload.max_file_bytes)
        if len(decoder.buffer) > MAX_FIELD_BYTES:
            # Drained data leaves only a partial boundary behind; more means endless headers.
            raise ApiError(400, "malformed_multipart", "a multipart part header is too long")
        if isinstance(event, Epilogue) or not chunk:
            break
    if not authorized:
        authorize(dict(upload.fields))  # no file part at all: 401 still comes before 400


def _read(stream: BinaryIO, limits: ReadLimits) -> bytes:
    """The next chunk, waiting at most ``idle_s`` and never past the deadline; 408 else."""
    wait = min(limits.idle_s, limits.deadline.remaining())
    try:
        if wait <= 0:
            raise _Stalled()
        with gevent.Timeout(wait, _Stalled):
            return stream.read(_CHUNK)
    except ClientDisconnected:
        raise _incomplete() from None
    except _Stalled:
        raise _upload_timeout(limits) from None


def _upload_timeout(limits: ReadLimits) -> ApiError:
    late = limits.deadline.expired
    reason = ("the upload did not complete within the time budget" if late
              else f"the upload stalled: less than {_CHUNK // 1024} KiB in {limits.idle_s:g} s")
    return ApiError(408, "upload_timeout", f"{reason}; the next photo is a new try",
                    {"reason": "deadline" if late else "idle", "idle_s": limits.idle_s})


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
