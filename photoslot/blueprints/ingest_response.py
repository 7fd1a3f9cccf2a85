"""The HTTP side of one ingest run, shared by the booth's upload and the admin's trial run."""

from __future__ import annotations

from datetime import datetime

from flask import Response, jsonify, request
from flask.typing import ResponseReturnValue
from werkzeug.wsgi import get_input_stream

from photoslot.clock import Deadline, iso
from photoslot.config import current_config
from photoslot.services.ingest import pipeline as ingest_service
from photoslot.services.ingest.jobs import JobResult, server_timing


def run_ingest(slot_id: str, password: str | None, arrived_mono: float, arrived_at: datetime,
               is_test: bool = False) -> ResponseReturnValue:
    """Stream this request's upload through the pipeline; answer the image (or JSON on request).

    ``arrived_mono``/``arrived_at``: when the request arrived; the T_sync budget starts there.
    """
    result = ingest_service.ingest(ingest_service.IngestRequest(
        slot_id=slot_id,
        password=password,
        content_type=request.headers.get("Content-Type"),
        # Not request.stream: MAX_CONTENT_LENGTH would answer 413 before the password is read
        # (and request.max_content_length = None falls back to it); the service enforces size.
        open_body=lambda: get_input_stream(request.environ, max_content_length=None),
        deadline=Deadline(arrived_mono + current_config().t_sync_response_s),
        arrived_at=arrived_at,
        arrived_mono=arrived_mono,
        query={k: v for k, v in request.args.items() if k != "password"},
        content_length=request.content_length,
    ), is_test=is_test)
    headers = {
        "X-Job-Id": result.job_id,
        "X-Result-Url": result.result_url,
        "Server-Timing": server_timing(result.provider_ms, result.total_ms),
    }
    if _wants_json():
        return jsonify(_json_body(result)), 200, headers
    return Response(result.image, status=200, mimetype=result.mime, headers=headers)


def _wants_json() -> bool:
    if request.args.get("response") == "json":
        return True
    best = request.accept_mimetypes.best_match(["image/jpeg", "image/png", "application/json"])
    return best == "application/json"


def _json_body(result: JobResult) -> dict:
    body = {
        "job_id": result.job_id,
        "status": "done",
        "slot_id": result.slot_id,
        "result_url": result.result_url,
        "expires_at": iso(result.expires_at),
        "mime": result.mime,
        "timings": {"provider_ms": result.provider_ms, "total_ms": result.total_ms},
    }
    if request.args.get("preview") in ("1", "true", "yes"):
        body["preview"] = ingest_service.preview_data_uri(result.image)
    return body
