"""The live board of all slots (the admin dashboard): what ``list_slots`` shows, plus each slot's
newest result, whether its provider can be called, and its failures of the last hour."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import func, select

from photoslot import clock
from photoslot.extensions import db
from photoslot.models import JobHistory, MediaObject, Slot
from photoslot.providers import all_providers
from photoslot.services.media.lifetime import live_clause
from photoslot.services.media.store import result_url, thumbnail_url
from photoslot.services.media.thumbnails import thumbnails_of
from photoslot.services.slots.views import list_slots

#: How far back the board looks for timeouts and provider errors.
PROBLEM_WINDOW = timedelta(hours=1)


def slot_board() -> list[dict[str, Any]]:
    """Every slot as ``list_slots`` shows it, plus ``provider_configured``,
    ``provider_setup_hint``, ``last_result`` ({job_id, url, thumbnail_url} or None) and
    ``problems_1h`` ({"timeout": n, "error": n} over non-test jobs started in the last hour).
    Six queries whatever the load."""
    providers = all_providers()
    results = _last_results()
    problems = _problems_last_hour()
    board = []
    for view in list_slots():
        provider = providers.get(view["provider"])
        board.append({
            **view,
            "provider_configured": bool(provider and provider.is_configured()),
            "provider_setup_hint": provider.setup_hint if provider else "unknown provider",
            "last_result": results.get(view["id"]),
            "problems_1h": problems.get(view["id"], {"timeout": 0, "error": 0}),
        })
    return board


def _last_results() -> dict[str, dict[str, Any]]:
    """{slot_id: the newest done job's live result}; results share one TTL, so when the newest
    one has expired, every older one has too."""
    # Ordered by started_at alone, so the walk back along (slot_id, started_at) stops at the
    # first done job instead of sorting the slot's whole history.
    last_done = (
        select(JobHistory.id)
        .where(JobHistory.slot_id == Slot.id, JobHistory.status == "done")
        .order_by(JobHistory.started_at.desc()).limit(1)
        .correlate(Slot).scalar_subquery()
    )
    job_ids = [job_id for job_id in db.session.scalars(select(last_done)
                                                         .select_from(Slot)) if job_id]
    if not job_ids:
        return {}
    # By job_id alone (a job has an input and at most one result), so SQLite uses that index.
    media = [m for m in db.session.scalars(
        select(MediaObject).where(MediaObject.job_id.in_(job_ids), live_clause(clock.now()))
    ) if m.kind == "result"]
    thumbs = thumbnails_of(m.id for m in media)
    return {
        m.slot_id: {
            "job_id": m.job_id,
            "url": result_url(m.job_id),
            # Without a thumbnail (skipped under deadline pressure) the full image stands in.
            "thumbnail_url": thumbnail_url(thumbs[m.id].token) if m.id in thumbs
            else result_url(m.job_id),
        }
        for m in media if m.slot_id and m.job_id
    }


def _problems_last_hour() -> dict[str, dict[str, int]]:
    """{slot_id: {"timeout": n, "error": n}} over non-test jobs started within PROBLEM_WINDOW."""
    query = (
        select(JobHistory.slot_id, JobHistory.status, func.count())
        .where(JobHistory.started_at > clock.now() - PROBLEM_WINDOW,
               JobHistory.status.in_(("timeout", "error")), JobHistory.is_test.is_(False))
        .group_by(JobHistory.slot_id, JobHistory.status)
    )
    problems: dict[str, dict[str, int]] = {}
    for slot_id, status, count in db.session.execute(query):
        problems.setdefault(slot_id, {"timeout": 0, "error": 0})[status] = int(count)
    return problems
