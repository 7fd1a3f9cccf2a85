"""One ingest job: the pending row, the provider call under the deadline, the final status.

Every path out of ``run`` leaves the job in a final status (done, timeout, error), the input file
deleted and the input row expired at that moment (its link answers 410 until the cleanup removes
the row); a result file exists only for a ``done`` job. See adr/0004-deadline.md.
"""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import gevent
from sqlalchemy import select, update

from photoslot import clock, images
from photoslot.config import current_config
from photoslot.errors import ApiError
from photoslot.extensions import db
from photoslot.log import log_event
from photoslot.models import JobHistory, MediaObject, Slot, SlotTemplateMedia
from photoslot.models.base import new_uuid
from photoslot.models.media import new_token
from photoslot.providers import get_provider
from photoslot.providers.base import (
    Deadline,
    InputImage,
    ProviderError,
    ProviderRequest,
    ProviderResult,
    ops_text,
)
from photoslot.services.media import store
from photoslot.services.media.lifetime import expired_at
from photoslot.services.media.thumbnails import (
    Rendition,
    ThumbnailError,
    add_thumbnail,
    render,
)

log = logging.getLogger(__name__)

# Below this much time left the answer matters more than a preview: the result keeps no
# thumbnail and slot views show the full image instead (ADR 0006).
THUMBNAIL_MIN_REMAINING_S = 1.0


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
class OpenJob:
    """A committed ``pending`` job and everything the provider call needs."""

    id: str
    slot: SlotSnapshot
    input_path: str
    input_media_id: str
    photo: InputImage
    templates: tuple[InputImage, ...]
    deadline: Deadline
    arrived_mono: float


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


def open_job(slot: SlotSnapshot, spooled_path: str, data: bytes, mime: str,
             size: tuple[int, int], client_meta: dict, arrived_at: datetime,
             arrived_mono: float, deadline: Deadline, is_test: bool = False) -> OpenJob:
    """Commit the ``pending`` job and its ``input`` media object (TTL = T_sync) before any
    provider work; the spooled upload is moved to the input's final path.

    ``arrived_at``/``arrived_mono``: when the request arrived (wall clock for the rows, monotonic
    for ``total_ms``), whatever budget ``deadline`` was given."""
    config = current_config()
    job_id, media_id, token = new_uuid(), new_uuid(), new_token()
    path = store.relative_path("input", media_id, mime)
    os.replace(store.resolve(spooled_path), store.resolve(path))
    try:
        db.session.add(JobHistory(
            id=job_id, slot_id=slot.id, provider=slot.provider, operation=slot.operation,
            status="pending", started_at=arrived_at, input_bytes=len(data), is_test=is_test,
            client_meta=client_meta))
        db.session.add(MediaObject(
            id=media_id, kind="input", path=path, mime=mime, size=len(data), width=size[0],
            height=size[1], token=token, created_at=arrived_at,
            expires_at=arrived_at + timedelta(seconds=config.t_sync_response_s),
            slot_id=slot.id, job_id=job_id))
        templates = _templates(slot.id)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        store.delete_file(path)
        raise
    finally:
        db.session.close()
    photo = InputImage(data, mime, store.media_url(token))
    return OpenJob(job_id, slot, path, media_id, photo, templates, deadline, arrived_mono)


def run(job: OpenJob) -> JobResult:
    """Call the provider within the deadline and record the outcome; ApiError 502/504 on failure.

    No database session is open during the provider call (see ``open_job``).
    """
    provider_started = time.monotonic()
    try:
        try:
            request = ProviderRequest(job.id, job.slot.operation, job.slot.params, job.photo,
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
        if isinstance(result, ProviderResult):
            return _succeed(job, result, provider_ms)
        raise _fail(job, result, provider_ms)
    except BaseException as exc:
        if not isinstance(exc, ApiError):
            _abandon(job, exc)  # killed greenlet, lost database, ...: never leave it pending
        raise
    finally:
        store.delete_file(job.input_path)


def call_provider(name: str, request: ProviderRequest, deadline: Deadline) -> ProviderResult:
    """The driver's answer within ``deadline``; ProviderError (``provider_timeout`` when late)."""
    remaining = deadline.remaining()
    if remaining <= 0:
        raise ProviderError("provider_timeout", "the deadline passed before the provider call")
    try:
        provider = get_provider(name)
    except KeyError:
        raise ProviderError("provider_unavailable", f"provider {name!r} is not installed") from None
    if not provider.is_configured():
        raise ProviderError("provider_unavailable", f"provider {name!r} is not configured")
    timer = gevent.Timeout(remaining)
    timer.start()
    try:
        result = provider.process(request, deadline)
    except gevent.Timeout as exc:
        if exc is not timer:
            # A driver's own inner timeout escaped it: still a provider failure, never a dropped
            # connection (gevent.Timeout is a BaseException, past every handler).
            raise ProviderError("provider_error", "the driver's own timeout escaped it") from None
        raise ProviderError("provider_timeout", "the provider did not answer in time") from None
    finally:
        timer.cancel()
    if deadline.expired:
        # CPU-bound work cannot be interrupted; an answer that arrives late is discarded.
        raise ProviderError("provider_timeout", "the provider answered after the deadline")
    return result


def _succeed(job: OpenJob, result: ProviderResult, provider_ms: int) -> JobResult:
    try:
        mime, width, height = images.require_image(result.image)
    except ApiError as exc:
        raise _fail(job, ProviderError("provider_bad_response",
                                       f"the provider's image is unusable: {exc.message}"),
                    provider_ms) from None
    image = result.image
    if mime != (wanted := images.booth_format(job.photo.mime)):
        # Gemini and Turbotext answer PNG whatever they get; the booth expects what it sent.
        image, mime = images.convert(image, wanted), wanted
    rendition = _thumbnail(job, image)  # before the rows: no transaction waits on the CPU
    config = current_config()
    path = store.relative_path("result", job.id, mime)
    try:
        store.write_bytes(path, image)
    except store.StorageError as exc:
        raise _storage_failed(job, exc, provider_ms) from exc
    now = clock.now()
    expires_at = now + timedelta(hours=config.result_ttl_h)
    written = [path]
    try:
        media = MediaObject(
            id=new_uuid(), kind="result", path=path, mime=mime, size=len(image),
            width=width, height=height, created_at=now, expires_at=expires_at,
            slot_id=job.slot.id, job_id=job.id)
        db.session.add(media)
        if rendition is not None:
            written.append(add_thumbnail(media, rendition).path)
        total_ms = _ms_since(job.arrived_mono)
        _finish(job, status="done", finished_at=now, provider_ms=provider_ms,
                total_ms=total_ms)
    except BaseException as exc:
        db.session.rollback()
        for written_path in written:
            store.delete_file(written_path)
        if isinstance(exc, store.StorageError):  # the thumbnail did not fit: nothing is kept
            raise _storage_failed(job, exc, provider_ms) from exc
        raise
    return JobResult(job.id, job.slot.id, image, mime, store.result_url(job.id), expires_at,
                     provider_ms, total_ms)


def _thumbnail(job: OpenJob, image: bytes) -> Rendition | None:
    """Render the result's thumbnail now, so slot views do no image work; None when skipped."""
    if job.deadline.remaining() < THUMBNAIL_MIN_REMAINING_S:
        return None
    try:
        return render(image)
    except ThumbnailError as exc:  # the booth still gets its result; views show the full image
        log_event(log, "thumbnail_failed", level=logging.WARNING, job_id=job.id,
                  reason=str(exc)[:200])
        return None


def _fail(job: OpenJob, error: ProviderError, provider_ms: int) -> ApiError:
    """End the job with the provider's failure. The job row and the log keep the provider's
    own words (``internal``); the booth gets ours and the public details (ADR 0011)."""
    status = "timeout" if error.code == "provider_timeout" else "error"
    total_ms = _ms_since(job.arrived_mono)
    log_event(log, "provider_failed", level=logging.WARNING, job_id=job.id,
              provider=job.slot.provider, error_code=error.code, reason=error.internal[:500])
    _finish(job, status=status, error_code=error.code, error_message=error.internal,
            finished_at=clock.now(), provider_ms=provider_ms, total_ms=total_ms)
    timings = {"provider_ms": provider_ms, "total_ms": total_ms}
    return ApiError(error.http_status, error.code, error.message,
                    {**error.public_details, "job_id": job.id, "timings": timings})


def _storage_failed(job: OpenJob, exc: store.StorageError, provider_ms: int) -> ApiError:
    """End the job as ``error`` when its result cannot be stored; the booth gets the 507/503."""
    total_ms = _ms_since(job.arrived_mono)
    _finish(job, status="error", error_code=exc.code, error_message=ops_text(str(exc.__cause__)),
            finished_at=clock.now(), provider_ms=provider_ms, total_ms=total_ms)
    timings = {"provider_ms": provider_ms, "total_ms": total_ms}
    return ApiError(exc.status, exc.code, exc.message,
                    {**exc.details, "job_id": job.id, "timings": timings}, dict(exc.headers))


def _finish(job: OpenJob, **values: Any) -> None:
    """Set the final status and expire the input row in one transaction.

    Only a ``pending`` job is finished: if the cleanup has meanwhile closed it as
    ``error``/``abandoned``, nothing is written and ApiError 502 ``abandoned`` is raised (the
    caller deletes the files it wrote), so the answer agrees with the job row.
    """
    try:
        finished = db.session.execute(
            update(JobHistory)
            .where(JobHistory.id == job.id, JobHistory.status == "pending")
            .values(**values))
        if finished.rowcount == 0:
            db.session.rollback()
            raise _abandoned_meanwhile(job, values["provider_ms"], values["total_ms"])
        _expire_input(job, values["finished_at"])
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    finally:
        db.session.close()


def _abandoned_meanwhile(job: OpenJob, provider_ms: int, total_ms: int) -> ApiError:
    log_event(log, "job_already_abandoned", level=logging.WARNING, job_id=job.id)
    timings = {"provider_ms": provider_ms, "total_ms": total_ms}
    return ApiError(502, "abandoned",
                    "the cleanup closed this job as abandoned before it finished; "
                    "its outcome was discarded",
                    {"job_id": job.id, "timings": timings})


def _abandon(job: OpenJob, exc: BaseException) -> None:
    log_event(log, "job_abandoned", level=logging.ERROR, job_id=job.id, reason=repr(exc)[:300])
    now = clock.now()
    try:
        db.session.rollback()
        db.session.execute(
            update(JobHistory)
            .where(JobHistory.id == job.id, JobHistory.status == "pending")
            .values(status="error", error_code="internal_error", error_message=repr(exc)[:2000],
                    finished_at=now, total_ms=_ms_since(job.arrived_mono)))
        _expire_input(job, now)
        db.session.commit()
    except Exception:  # the database itself is gone; cleanup's reconciliation takes over
        log.exception("could not mark the job as failed", extra={"fields": {"job_id": job.id}})
        db.session.rollback()
    finally:
        db.session.close()


def _expire_input(job: OpenJob, at: datetime) -> None:
    """The input's link answers 410 from ``at`` on (``run`` deletes its file); the cleanup
    deletes the expired row later. A provider fetching late learns the photo is gone."""
    db.session.execute(update(MediaObject).where(MediaObject.id == job.input_media_id)
                       .values(expires_at=at))


def _templates(slot_id: str) -> tuple[InputImage, ...]:
    """The slot's live template images, in position order (a missing file is skipped, logged)."""
    rows = db.session.scalars(
        select(MediaObject).join(SlotTemplateMedia, SlotTemplateMedia.media_id == MediaObject.id)
        .where(SlotTemplateMedia.slot_id == slot_id).order_by(SlotTemplateMedia.position))
    templates = []
    for media in rows:
        if expired_at(media) is not None:
            continue
        try:
            data = store.read_bytes(media.path)
        except (OSError, store.MediaPathError) as exc:
            log_event(log, "template_missing", level=logging.WARNING, media_id=media.id,
                      slot=slot_id, reason=str(exc)[:200])
            continue
        templates.append(InputImage(data, media.mime, store.media_url(media.token)))
    return tuple(templates)


def _ms_since(start: float) -> int:
    return int((time.monotonic() - start) * 1000)
