"""Read side of slot management: the slot list with stats, one slot's detail, the providers."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import selectinload

from photoslot import clock
from photoslot.clock import iso
from photoslot.extensions import db
from photoslot.models import JobHistory, MediaObject, Slot, SlotTemplateMedia
from photoslot.providers import all_providers
from photoslot.services.media.lifetime import live_clause
from photoslot.services.media.store import media_url, public_url, result_url, thumbnail_url
from photoslot.services.media.thumbnails import thumbnails_of
from photoslot.services.slots.configure import slot_header, slot_not_found

RECENT_RESULTS = 10
STATS_WINDOW = timedelta(hours=24)
FINISHED = ("done", "timeout", "error")


def describe_providers() -> list[dict[str, Any]]:
    """Every registered provider: configured or not, its operations and their params schemas."""
    return [
        {
            "name": name,
            "configured": provider.is_configured(),
            "operations": [
                {"name": op, "params_schema": schema,
                 "needs_template": op in provider.needs_template}
                for op, schema in sorted(provider.operations.items())
            ],
        }
        for name, provider in sorted(all_providers().items())
    ]


def list_slots() -> list[dict[str, Any]]:
    """All slots with their last job and 24 h success rate, in three queries whatever the load."""
    last_job_id = (
        select(JobHistory.id).where(JobHistory.slot_id == Slot.id)
        .order_by(JobHistory.started_at.desc(), JobHistory.id.desc()).limit(1)
        .correlate(Slot).scalar_subquery()
    )
    rows = db.session.execute(select(Slot, last_job_id).order_by(Slot.id)).all()
    job_ids = [job_id for _, job_id in rows if job_id]
    last_jobs = {
        job.id: job
        for job in db.session.scalars(select(JobHistory).where(JobHistory.id.in_(job_ids)))
    } if job_ids else {}
    stats = _stats_24h()
    views = []
    for slot, job_id in rows:
        job = last_jobs.get(job_id)
        done, finished = stats.get(slot.id, (0, 0))
        views.append({
            **_summary(slot),
            "last_job_status": job.status if job else None,
            "last_job_at": iso(job.started_at) if job else None,
            "finished_jobs_24h": finished,
            "success_rate_24h": round(done / finished, 4) if finished else None,
        })
    return views


def _stats_24h() -> dict[str, tuple[int, int]]:
    """{slot_id: (done, finished)} over non-test jobs started in the last 24 h."""
    query = (
        select(JobHistory.slot_id,
               func.sum(case((JobHistory.status == "done", 1), else_=0)),
               func.count())
        .where(JobHistory.started_at > clock.now() - STATS_WINDOW,
               JobHistory.status.in_(FINISHED), JobHistory.is_test.is_(False))
        .group_by(JobHistory.slot_id)
    )
    return {slot_id: (int(done), int(total)) for slot_id, done, total in db.session.execute(query)}


def ingest_url(slot_id: str) -> str:
    """Where a booth posts photos for ``slot_id``."""
    return public_url(f"/api/ingest/{slot_id}")


def _summary(slot: Slot) -> dict[str, Any]:
    return {**slot_header(slot), "ingest_url": ingest_url(slot.id)}


def get_slot_detail(slot_id: str) -> dict[str, Any]:
    """Full configuration of one slot with template links and recent results; 404 if unknown."""
    slot = db.session.scalar(
        select(Slot).where(Slot.id == slot_id)
        .options(selectinload(Slot.template_links).selectinload(SlotTemplateMedia.media))
    )
    if slot is None:
        raise slot_not_found(slot_id)
    return slot_detail(slot)


def slot_detail(slot: Slot) -> dict[str, Any]:
    """The API view of a loaded slot (also the answer to changes of its configuration)."""
    results = _recent_results(slot.id)
    thumbs = thumbnails_of([link.media_id for link in slot.template_links]
                           + [media.id for _, media in results])
    return {
        **_summary(slot),
        "params": slot.params,
        "template_media": [
            {
                "id": link.media.id,
                "url": media_url(link.media.token),
                "thumbnail_url": _thumb_link(thumbs, link.media_id),
                "mime": link.media.mime,
                "width": link.media.width,
                "height": link.media.height,
                "position": position,
            }
            for position, link in enumerate(slot.template_links)
        ],
        "recent_results": [
            {
                "job_id": job.id,
                "url": result_url(job.id),
                "thumbnail_url": _thumb_link(thumbs, media.id),
                "created_at": iso(media.created_at),
                "expires_at": iso(media.expires_at),
                "is_test": job.is_test,
                "booth": (job.client_meta or {}).get("name"),
            }
            for job, media in results
        ],
    }


def _recent_results(slot_id: str) -> list[tuple[JobHistory, MediaObject]]:
    """The newest done jobs whose result media is still live, newest first."""
    query = (
        select(JobHistory, MediaObject)
        .join(MediaObject, (MediaObject.job_id == JobHistory.id) & (MediaObject.kind == "result"))
        .where(JobHistory.slot_id == slot_id, JobHistory.status == "done", live_clause(clock.now()))
        .order_by(JobHistory.started_at.desc(), JobHistory.id.desc())
        .limit(RECENT_RESULTS)
    )
    return [(job, media) for job, media in db.session.execute(query)]


def _thumb_link(thumbs: dict[str, MediaObject], media_id: str) -> str | None:
    thumb = thumbs.get(media_id)
    return thumbnail_url(thumb.token) if thumb else None
