"""One ingest job: the pending row, the provider call under the deadline, the final status.

Every path out of ``run`` leaves the job in a final status (done, timeout, error), the input file
deleted and the input row expired at that moment (its link answers 410 until the cleanup removes
the row); a result file exists only for a ``done`` job. The work after the provider — checking
and converting its image, the thumbnail, the commit — spends the same deadline: past it the job
is ``timeout`` / 504 ``processing_timeout``. See adr/0004-deadline.md and adr/0010.
"""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

import gevent
from sqlalchemy import select

from photoslot import clock, images
from photoslot.clock import DeadlinePassed
from photoslot.config import current_config
from photoslot.errors import ApiError
from photoslot.extensions import db
from photoslot.log import log_event
from photoslot.models import JobHistory, MediaObject, Slot, SlotTemplateMedia
from photoslot.models.base import new_uuid
from photoslot.models.media import new_token
from photoslot.providers import get_provider
from photoslot.providers.base import (
    INPUT_SIDE_PARAM,
    Deadline,
    InputImage,
    ProviderError,
    ProviderRequest,
    ProviderResult,
    ops_text,
)
from photoslot.services.ingest import final
from photoslot.services.media import store
from photoslot.services.media.lifetime import expired_at
from photoslot.services.media.thumbnails import add_thumbnail

log = logging.getLogger(__name__)

# Below this much time left the answer matters more than a preview: the result keeps no
# thumbnail and slot views show the full image instead (ADR 0006).
THUMBNAIL_MIN_REMAINING_S = 1.0
#: Reduced templates kept per worker (a few hundred kB each): a slot's templates are reduced
#: once, not at every ingest.
REDUCED_TEMPLATES_CACHED = 32


def processing_timeout(message: str) -> ApiError:
    """The 504 of a request whose own work (not the provider's) did not fit the deadline."""
    return ApiError(504, "processing_timeout", message)


@dataclass(frozen=True)
class SlotSnapshot:
    """A slot's configuration as plain values, so no ORM object outlives its session."""

    id: str
    enabled: bool
    provider: str
    operation: str
    params: dict[str, Any]

    @classmethod
    def of(cls, slot: Slot) -> SlotSnapshot:
        return cls(slot.id, slot.enabled, slot.provider, slot.operation, dict(slot.params or {}))


@dataclass(frozen=True)
class ReceivedPhoto:
    """The booth's upload as received: its spool file, its size and its type."""

    spooled_path: str
    size: int
    mime: str


@dataclass(frozen=True)
class OpenJob:
    """A committed ``pending`` job and everything the provider call needs."""

    id: str
    slot: SlotSnapshot
    input_path: str
    input_media_id: str
    photo: InputImage  # what the provider gets (reduced unless max_input_side is 0)
    templates: tuple[InputImage, ...]
    deadline: Deadline
    arrived_mono: float
    booth_mime: str  # what the booth gets back (images.booth_format of its upload)


@dataclass(frozen=True)
class JobResult:
    """A ``done`` job: the result image and where it stays reachable."""

    job_id: str
    slot_id: str
    image: bytes
    mime: str
    result_url: str
    expires_at: datetime
    provider_ms: int
    total_ms: int


def input_side(slot: SlotSnapshot) -> int:
    """The longest side of the images the slot's provider gets (``max_input_side``, else the
    driver's default; 0 = the originals)."""
    try:
        return get_provider(slot.provider).input_side(slot.params)
    except KeyError:  # not installed: call_provider answers provider_unavailable
        return 0


def open_job(slot: SlotSnapshot, received: ReceivedPhoto, photo: images.ProviderInput,
             client_meta: dict, arrived_at: datetime, arrived_mono: float, deadline: Deadline,
             is_test: bool = False) -> OpenJob:
    """Commit the ``pending`` job and its ``input`` media object (TTL = T_sync) before any
    provider work. The input is what the provider gets — its public link serves the same bytes
    (Turbotext downloads it): the reduced photo is written in place of the spooled upload, an
    unreduced one is moved there.

    ``arrived_at``/``arrived_mono``: when the request arrived (wall clock for the rows, monotonic
    for ``total_ms``), whatever budget ``deadline`` was given."""
    config = current_config()
    job_id, media_id, token = new_uuid(), new_uuid(), new_token()
    path = store.relative_path("input", media_id, photo.mime)
    if photo.data_is_original:
        os.replace(store.resolve(received.spooled_path), store.resolve(path))
    else:
        store.write_bytes(path, photo.data, durable=False)  # lives until the job ends
    try:
        final.connect_within(deadline)  # DeadlinePassed: no job, the caller answers 504
        db.session.add(JobHistory(
            id=job_id, slot_id=slot.id, provider=slot.provider, operation=slot.operation,
            status="pending", started_at=arrived_at, input_bytes=received.size,
            is_test=is_test, client_meta=client_meta))
        db.session.add(MediaObject(
            id=media_id, kind="input", path=path, mime=photo.mime, size=len(photo.data),
            width=photo.width, height=photo.height, token=token, created_at=arrived_at,
            expires_at=arrived_at + timedelta(seconds=config.t_sync_response_s),
            slot_id=slot.id, job_id=job_id))
        template_rows = _template_rows(slot.id)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        store.delete_file(path)
        raise
    finally:
        db.session.close()
    templates = _templates(template_rows, slot.id, input_side(slot))  # no transaction waits
    return OpenJob(job_id, slot, path, media_id,
                   InputImage(photo.data, photo.mime, store.media_url(token)), templates,
                   deadline, arrived_mono, images.booth_format(received.mime))


def run(job: OpenJob) -> JobResult:
    """Call the provider within the deadline and record the outcome; ApiError 502/504 on failure.

    No database session is open during the provider call (see ``open_job``).
    """
    provider_started = time.monotonic()
    try:
        try:
            params = {name: value for name, value in job.slot.params.items()
                      if name != INPUT_SIDE_PARAM}  # the gateway's own, not the driver's
            request = ProviderRequest(job.id, job.slot.operation, params, job.photo,
                                      job.templates)
            result: ProviderResult | ProviderError = call_provider(job.slot.provider, request,
                                                                   job.deadline)
        except ProviderError as exc:
            result = exc
        except Exception as exc:  # a driver bug still ends the job and answers non-2xx
            log.exception("provider driver failed", extra={"fields": {"job_id": job.id}})
            result = ProviderError("provider_error", "the provider driver failed",
                                   internal=f"the provider driver failed: {exc!r}")
        provider_ms = _ms_since(provider_started)
        if isinstance(result, ProviderError):
            log_event(log, "provider_failed", level=logging.WARNING, job_id=job.id,
                      provider=job.slot.provider, error_code=result.code,
                      reason=result.internal[:500])
            raise _fail(job, _from_provider(result), provider_ms, result.internal)
        try:
            return _succeed(job, result, provider_ms)
        except DeadlinePassed:
            raise _fail(job, processing_timeout(
                "the provider answered, but its result could not be stored in time"),
                provider_ms) from None
    except BaseException as exc:
        if not isinstance(exc, ApiError):
            # killed greenlet, lost database, ...: never leave it pending
            final.abandon(job.id, job.input_media_id, job.arrived_mono, exc)
        raise
    finally:
        store.delete_file(job.input_path)


def call_provider(name: str, request: ProviderRequest, deadline: Deadline) -> ProviderResult:
    """The driver's answer within ``deadline``; ProviderError (``provider_timeout`` when late)."""
    if deadline.expired:
        raise ProviderError("provider_timeout", "the deadline passed before the provider call")
    try:
        provider = get_provider(name)
    except KeyError:
        raise ProviderError("provider_unavailable", f"provider {name!r} is not installed") from None
    if not provider.is_configured():
        raise ProviderError("provider_unavailable", f"provider {name!r} is not configured")
    try:
        with deadline.bounded():
            result = provider.process(request, deadline)
    except DeadlinePassed:
        raise ProviderError("provider_timeout", "the provider did not answer in time") from None
    except gevent.Timeout:
        # A driver's own inner timeout escaped it: still a provider failure, never a dropped
        # connection (gevent.Timeout is a BaseException, past every handler).
        raise ProviderError("provider_error", "the driver's own timeout escaped it") from None
    if deadline.expired:
        # CPU-bound work cannot be interrupted; an answer that arrives late is discarded.
        raise ProviderError("provider_timeout", "the provider answered after the deadline")
    return result


def _succeed(job: OpenJob, result: ProviderResult, provider_ms: int) -> JobResult:
    """Check, convert and store the provider's image and finish the job ``done`` — all before
    the deadline, else DeadlinePassed (nothing kept)."""
    # The thumbnail comes from the same decode (a few ms), unless the answer is already late.
    with_thumbnail = job.deadline.remaining() >= THUMBNAIL_MIN_REMAINING_S
    if not with_thumbnail:
        log_event(log, "thumbnail_skipped", job_id=job.id, reason="little time left")
    try:
        with job.deadline.bounded():  # the CPU thread may have a queue
            # Gemini and Turbotext answer PNG whatever they get; the booth expects what it sent.
            booth = images.booth_image(result.image, job.booth_mime, with_thumbnail)
    except ApiError as exc:
        raise _fail(job, ApiError(502, "provider_bad_response",
                                  f"the provider's image is unusable: {exc.message}"),
                    provider_ms) from None
    image, mime = booth.data, booth.mime
    config = current_config()
    path = store.relative_path("result", job.id, mime)
    try:
        store.write_bytes(path, image)
    except store.StorageError as exc:
        raise _fail(job, exc, provider_ms, ops_text(str(exc.__cause__))) from exc
    now = clock.now()
    expires_at = now + timedelta(hours=config.result_ttl_h)
    written = [path]
    try:
        media = MediaObject(
            id=new_uuid(), kind="result", path=path, mime=mime, size=len(image),
            width=booth.width, height=booth.height, created_at=now, expires_at=expires_at,
            slot_id=job.slot.id, job_id=job.id)
        db.session.add(media)
        if booth.thumbnail is not None:
            written.append(add_thumbnail(media, booth.thumbnail).path)
        total_ms = _ms_since(job.arrived_mono)
        final.finish(job.id, job.input_media_id, job.deadline, status="done", finished_at=now,
                     provider_ms=provider_ms, total_ms=total_ms)
    except BaseException as exc:
        db.session.rollback()
        for written_path in written:
            store.delete_file(written_path)
        if isinstance(exc, store.StorageError):  # the thumbnail did not fit: nothing is kept
            raise _fail(job, exc, provider_ms, ops_text(str(exc.__cause__))) from exc
        raise
    return JobResult(job.id, job.slot.id, image, mime, store.result_url(job.id), expires_at,
                     provider_ms, total_ms)


def _from_provider(error: ProviderError) -> ApiError:
    """What the booth is told of a provider's failure: our words and the public details only."""
    return ApiError(error.http_status, error.code, error.message, error.public_details)


def _fail(job: OpenJob, error: ApiError, provider_ms: int,
          internal: str | None = None) -> ApiError:
    """Record the failure (504 → ``timeout``, else ``error``) and return the answer for it. The
    job row keeps ``internal`` — a provider's own words, a storage error — when there is one;
    the booth gets ``error``'s message and details (ADR 0013)."""
    status = "timeout" if error.status == 504 else "error"
    total_ms = _ms_since(job.arrived_mono)
    final.finish_failed(job.id, job.input_media_id, status=status,
                        error_code=error.code, error_message=(internal or error.message)[:2000],
                        finished_at=clock.now(), provider_ms=provider_ms, total_ms=total_ms)
    timings = {"provider_ms": provider_ms, "total_ms": total_ms}
    return ApiError(error.status, error.code, error.message,
                    {**error.details, "job_id": job.id, "timings": timings}, dict(error.headers))


@dataclass(frozen=True)
class _TemplateRow:
    media_id: str
    path: str
    mime: str
    url: str


def _template_rows(slot_id: str) -> list[_TemplateRow]:
    """The slot's live template media, in position order."""
    rows = db.session.scalars(
        select(MediaObject).join(SlotTemplateMedia, SlotTemplateMedia.media_id == MediaObject.id)
        .where(SlotTemplateMedia.slot_id == slot_id).order_by(SlotTemplateMedia.position))
    return [_TemplateRow(media.id, media.path, media.mime, store.media_url(media.token))
            for media in rows if expired_at(media) is None]


def _templates(rows: list[_TemplateRow], slot_id: str, max_side: int) -> tuple[InputImage, ...]:
    """The template images as the provider gets them (a missing or unreadable file is skipped,
    logged). Their links serve the stored originals."""
    templates = []
    for row in rows:
        try:
            data, mime = _template_image(row.path, row.mime, max_side)
        except (OSError, store.MediaPathError, ApiError) as exc:
            log_event(log, "template_missing", level=logging.WARNING, media_id=row.media_id,
                      slot=slot_id, reason=str(exc)[:200])
            continue
        templates.append(InputImage(data, mime, row.url))
    return tuple(templates)


def _template_image(path: str, mime: str, max_side: int) -> tuple[bytes, str]:
    if max_side == 0:
        return store.read_bytes(path), mime
    reduced = _reduced_template(path, max_side)
    return reduced.data, reduced.mime


@lru_cache(maxsize=REDUCED_TEMPLATES_CACHED)
def _reduced_template(path: str, max_side: int) -> images.ProviderInput:
    # A template's file never changes under its path (a new upload is a new media id).
    return images.provider_input(store.resolve(path), max_side)[1]


def _ms_since(start: float) -> int:
    return int((time.monotonic() - start) * 1000)
