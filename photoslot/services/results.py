"""Public result links: ``/public/results/{job_id}`` finds a job's result media."""

from __future__ import annotations

from sqlalchemy import select

from photoslot.errors import ApiError
from photoslot.extensions import db
from photoslot.models import JobHistory, MediaObject
from photoslot.services import media


def live_result(job_id: str) -> MediaObject:
    """The result of ``job_id``: 404 if there is none, 410 once expired or already cleaned up."""
    found = db.session.scalar(
        select(MediaObject).where(MediaObject.kind == "result", MediaObject.job_id == job_id)
    )
    if found is None:
        job = db.session.get(JobHistory, job_id)
        if job is not None and job.status == "done":
            raise ApiError(410, "media_gone", "this result is no longer stored", {"job_id": job_id})
        raise ApiError(404, "result_not_found", "there is no result for this job",
                       {"job_id": job_id})
    return media.ensure_not_expired(found)
