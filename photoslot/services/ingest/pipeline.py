"""The ingest pipeline: checks in the documented order, then one job bounded by T_sync.

Order of checks: unknown slot (404) → password (429 / 401) → disabled slot (404) → size while
streaming (413) → magic bytes (415) → decodable, not a bomb (422). Only an accepted photo becomes
a job; the decode that checks it also reduces it to the provider's working size (ADR 0015).
Everything spends one deadline from the request's arrival (ADR 0010): the body read (408
``upload_timeout`` when it stalls), every wait for a database connection, image work and the
provider call; past it the answer is 504.
The body size is enforced here, not by Werkzeug's MAX_CONTENT_LENGTH (which refuses a long
Content-Length before the password field is read): a long Content-Length is refused up front only
once the request is authorized, otherwise the body is counted and cut off while it streams.
A database connection is held only for the short reads and writes around the steps, never while
the body streams in or while the provider works.
"""

from __future__ import annotations

import base64
import io
import logging
import time
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from PIL import Image

from photoslot import images, metrics
from photoslot.clock import Deadline, DeadlinePassed
from photoslot.config import current_config
from photoslot.database import is_unavailable
from photoslot.errors import ApiError
from photoslot.extensions import db
from photoslot.log import log_event
from photoslot.models import SLOT_IDS
from photoslot.offload import off_loop
from photoslot.services.ingest import final, jobs, rejections, upload
from photoslot.services.ingest.password import authorize_ingest
from photoslot.services.media import store
from photoslot.services.slots.configure import get_slot

log = logging.getLogger(__name__)

BOOTH_FIELDS = ("name", "user_id", "id", "version")
PREVIEW_SIDE = 256


@dataclass(frozen=True)
class IngestRequest:
    """What the HTTP layer hands over: nothing of the body has been read yet."""

    slot_id: str
    password: str | None  # from outside the body: a header or the query string
    receive: upload.UploadReader | None  # None: the body is not a multipart form
    deadline: Deadline
    arrived_at: datetime  # wall clock (job rows)
    arrived_mono: float  # time.monotonic() at arrival (total_ms), whatever the deadline's budget
    query: dict[str, str] = field(default_factory=dict)  # without the password
    content_length: int | None = None  # as announced (None: chunked)
    remote_addr: str | None = None  # the client, as the password limit counts it


def ingest(req: IngestRequest, is_test: bool = False) -> jobs.JobResult:
    """Run one ingest end to end; ApiError for every non-200 outcome. Records each call once.

    ``is_test``: an administrator's trial run (the caller has authenticated the admin): no
    ingest password, allowed on a disabled slot, the job is marked ``is_test`` and left out of
    the metrics and statistics.
    """
    context: dict = {"slot": req.slot_id}
    with nullcontext() if is_test else metrics.ingest_in_flight():
        try:
            try:
                result = _ingest(req, context, is_test)
            except DeadlinePassed:  # before a job was opened: nothing to record but the log line
                raise jobs.processing_timeout(
                    "the request could not be processed within the time budget") from None
        except ApiError as exc:
            _record(req, context, is_test, exc.status, error_code=exc.code,
                    **exc.details.get("timings", {}))
            raise
        except Exception as exc:
            if is_unavailable(exc):  # answered 503 database_unavailable (blueprints/errors.py)
                _record(req, context, is_test, 503, error_code="database_unavailable")
            else:
                _record(req, context, is_test, 500, error_code="internal_error")
            raise
        _record(req, context, is_test, 200, provider_ms=result.provider_ms,
                total_ms=result.total_ms)
        return result


def _ingest(req: IngestRequest, context: dict, is_test: bool) -> jobs.JobResult:
    slot = _load_slot(req)
    context["provider"] = slot.provider
    password_outside = req.password is not None or req.receive is None
    if password_outside and not is_test:
        # Known before the body (a header, or no form that could carry it): check it now.
        _authorize(slot, req.password, req)
    if req.receive is None:
        raise ApiError(415, "unsupported_media_type", "expected a multipart/form-data upload",
                       {"expected": "multipart/form-data"})

    def authorize(fields: dict[str, str]) -> None:
        # At the first file part: a password that has not come yet is a missing one, so no
        # unauthorized byte is ever spooled to disk.
        if not (is_test or req.password is not None):
            _authorize(slot, fields.get("password"), req)

    max_bytes = current_config().max_upload_bytes
    if (is_test or req.password is not None) and (
            (req.content_length or 0) > upload.max_body_bytes(max_bytes)):
        raise upload.too_large(max_bytes)  # authorized already: refuse before reading a byte
    input_side = jobs.input_side(slot)
    streaming = images.StreamingReduction(input_side) if input_side else None
    received = upload.Upload(max_bytes, on_first_file_write=_feeder(streaming))
    try:
        req.receive(received, authorize)
        part = received.photo()
        if part is None:
            raise ApiError(400, "missing_file", "the upload has no file part",
                           {"expected_field": upload.FILE_FIELD_PREFERENCE[0]})
        context["bytes"] = part.size
        with req.deadline.bounded():  # decoding waits for the CPU thread
            upload_mime, photo = _provider_input(store.resolve(part.path), part.size,
                                                 input_side, streaming, context)
        meta = _client_meta(received.fields, req.query, part.filename)
        context["booth"] = meta.get("name")
        received_photo = jobs.ReceivedPhoto(part.path, part.size, upload_mime)
        job = jobs.open_job(slot, received_photo, photo, meta, req.arrived_at, req.arrived_mono,
                            req.deadline, is_test=is_test)
    finally:
        received.discard()  # the photo part was moved into place by open_job, if it got there
    context["job_id"] = job.id
    return jobs.run(job)


def _feeder(streaming: images.StreamingReduction | None) -> upload.OnWrite | None:
    """Hands the photo's spool file to ``streaming`` as it grows (resolved once, not per
    chunk)."""
    if streaming is None:
        return None
    resolved: dict[str, Path] = {}

    def on_write(path: str, size: int) -> None:
        if path not in resolved:
            resolved[path] = store.resolve(path)
        streaming.advance(resolved[path], size)

    return on_write


def _provider_input(path: Path, size: int, input_side: int,
                    streaming: images.StreamingReduction | None,
                    context: dict) -> tuple[str, images.ProviderInput]:
    """The upload checked and, for most providers, reduced: from the decode that ran while it
    arrived when that went well, else by one decode of the spooled file now — read by Pillow
    from the file, never held in memory whole (ADR 0015)."""
    reduced = streaming.finish(path, size) if streaming is not None else None
    context["decoded_while_receiving"] = reduced is not None
    if reduced is not None:
        context["decoded_early_bytes"] = streaming.early_bytes
        return "image/jpeg", reduced
    return images.provider_input(path, input_side)


def _load_slot(req: IngestRequest) -> jobs.SlotSnapshot:
    try:
        final.connect_within(req.deadline)
        return jobs.SlotSnapshot.of(get_slot(req.slot_id))  # 404 slot_not_found, as everywhere
    finally:
        db.session.close()


def _authorize(slot: jobs.SlotSnapshot, password: str | None, req: IngestRequest) -> None:
    try:
        final.connect_within(req.deadline)
        authorize_ingest(password, req.remote_addr, req.deadline)
    finally:
        db.session.close()  # this may run while the body streams in: give the connection back
    if not slot.enabled:
        raise ApiError(404, "slot_disabled", f"slot {slot.id!r} is disabled",
                       {"slot_id": slot.id})


def _client_meta(fields: dict[str, str], query: dict[str, str], filename: str | None) -> dict:
    meta = {name: fields[name][:200] for name in BOOTH_FIELDS if name in fields}
    if filename:
        meta["filename"] = filename[:200]
    if query:
        meta["query"] = {k[:100]: v[:200] for k, v in query.items()}
    return meta


def preview_data_uri(image: bytes) -> str:
    """A small JPEG rendition of ``image`` as a ``data:`` URI (the JSON form's ``preview``)."""
    return "data:image/jpeg;base64," + base64.b64encode(off_loop(_preview, image)).decode("ascii")


def _preview(image: bytes) -> bytes:
    with Image.open(io.BytesIO(image)) as opened:
        opened.thumbnail((PREVIEW_SIDE, PREVIEW_SIDE))
        return images.encode(opened, "image/jpeg", "preview")


def _record(req: IngestRequest, context: dict, is_test: bool, status: int, **fields) -> None:
    """The one record of every ingest: its log line, its metrics, and the count of a refusal."""
    outcome = metrics.outcome_of(status)
    log_event(log, "ingest", **context, outcome=outcome, status=status, **fields)
    if is_test:
        return
    total_ms, provider_ms = fields.get("total_ms"), fields.get("provider_ms")
    total_s = total_ms / 1000 if total_ms is not None else time.monotonic() - req.arrived_mono
    slot = req.slot_id if req.slot_id in SLOT_IDS else metrics.UNKNOWN
    metrics.record_ingest(slot, context.get("provider"), outcome, total_s,
                          None if provider_ms is None else provider_ms / 1000)
    if outcome == "rejected" and fields["error_code"] != "database_unavailable":
        # (not while the database is down: that write would wait on it once more)
        rejections.record_rejection(req.slot_id, context.get("provider"), fields["error_code"],
                                    req.arrived_at)
