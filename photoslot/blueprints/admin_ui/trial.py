"""The slot page's test run and recent results: a sample photo through the real ingest pipeline
(as POST /api/slots/{id}/test), and the QR code of each result's public link."""

from __future__ import annotations

import io
import re
import time
from typing import Any

import segno
from flask import Blueprint, Response, request
from flask.typing import ResponseReturnValue
from werkzeug.datastructures import FileStorage

from photoslot import clock
from photoslot.blueprints.admin_ui.page_parts import booth_part, slot_page_parts
from photoslot.blueprints.admin_ui.rendering import is_htmx, page
from photoslot.blueprints.admin_ui.slots import config_form
from photoslot.blueprints.guards import require_permission
from photoslot.clock import Deadline
from photoslot.config import current_config
from photoslot.errors import ApiError
from photoslot.services.ingest import pipeline
from photoslot.services.ingest.upload import Authorize, Upload, UploadReader
from photoslot.services.media.store import result_url
from photoslot.services.slots import views as slot_views

bp = Blueprint("trial", __name__)

_JOB_ID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
_CHUNK = 64 * 1024


@bp.post("/slots/<slot_id>/test")
@require_permission("slots:write")
def run(slot_id: str) -> ResponseReturnValue:
    """Run the uploaded sample through the slot (even a disabled one) and report the outcome."""
    arrived_mono, arrived_at = time.monotonic(), clock.now()
    file = request.files.get("photo")
    if file is None or not file.filename:
        return _report(slot_id, {"ok": False, "code": "missing_file", "message": "",
                                 "details": {}}, status=422)
    try:
        result = pipeline.ingest(pipeline.IngestRequest(
            slot_id=slot_id,
            password=None,
            receive=spool(file),
            deadline=Deadline(arrived_mono + current_config().t_sync_response_s),
            arrived_at=arrived_at,
            arrived_mono=arrived_mono,
        ), is_test=True)
    except ApiError as exc:
        if exc.code == "slot_not_found":
            raise
        return _report(slot_id, {"ok": False, "code": exc.code, "message": exc.message,
                                 "details": exc.details, **exc.details.get("timings", {})})
    return _report(slot_id, {"ok": True, "job_id": result.job_id, "url": result.result_url,
                             "provider_ms": result.provider_ms, "total_ms": result.total_ms})


def spool(file: FileStorage) -> UploadReader:
    """An UploadReader over a file Werkzeug has parsed from a form (the UI's CSRF token may be a
    form field, so the body is parsed before the view; the pipeline then reads it from here)."""

    def receive(upload: Upload, authorize: Authorize) -> None:
        authorize(dict(upload.fields))  # an admin's trial run: no ingest password to check
        try:
            part = upload.start_file("file", file.filename)
            while chunk := file.stream.read(_CHUNK):
                part.write(chunk)
            part.close()
        except BaseException:
            upload.discard()
            raise

    return receive


def _report(slot_id: str, outcome: dict[str, Any], status: int = 200) -> Response:
    """The outcome (with the refreshed recent results for htmx), or the whole page."""
    detail = slot_views.get_slot_detail(slot_id)
    if "total_ms" in outcome and "provider_ms" in outcome:
        outcome["gateway_ms"] = max(0, outcome["total_ms"] - outcome["provider_ms"])
    if is_htmx():
        return page("admin/slot.html", "admin/_trial_answer.html", status=status,
                    slot=detail, trial=outcome, booth=booth_part(detail))
    return page("admin/slot.html", status=status, slot=detail, form=config_form(detail),
                **slot_page_parts(detail, trial=outcome))


@bp.get("/slots/<slot_id>/results")
@require_permission()
def recent(slot_id: str) -> ResponseReturnValue:
    """The recent results section alone (htmx refresh)."""
    return page("admin/slot.html", "admin/_recent_results.html",
                slot=slot_views.get_slot_detail(slot_id))


@bp.get("/results/<job_id>/qr.svg")
@require_permission()
def result_qr(job_id: str) -> ResponseReturnValue:
    """The QR code of a result's public link, for a guest to scan (SVG, scales crisply)."""
    if not _JOB_ID.match(job_id):
        raise ApiError(404, "not_found", "no such result", {"job_id": job_id})
    buffer = io.BytesIO()
    # Not Micro QR: phones' camera apps do not all read it. Quiet zone of 4 modules, per spec.
    segno.make(result_url(job_id), error="m", micro=False).save(
        buffer, kind="svg", scale=4, border=4, xmldecl=False, title="QR-код ссылки на результат")
    response = Response(buffer.getvalue(), mimetype="image/svg+xml")
    response.headers["Cache-Control"] = "private, max-age=86400"  # the link never changes
    return response
