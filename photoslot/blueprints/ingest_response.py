"""The HTTP side of one ingest run, shared by the booth's upload and the admin's trial run."""

from __future__ import annotations

from datetime import datetime

from flask import Response, jsonify, request
from flask.typing import ResponseReturnValue
from werkzeug.wsgi import get_input_stream

from photoslot.blueprints import multipart
from photoslot.clock import Deadline, iso
from photoslot.config import current_config
from photoslot.errors import ApiError
from photoslot.services.ingest import pipeline
from photoslot.services.ingest.jobs import JobResult
from photoslot.services.ingest.upload import Authorize, Upload, UploadReader


def run_ingest(slot_id: str, password: str | None, arrived_mono: float, arrived_at: datetime,
               is_test: bool = False) -> ResponseReturnValue:
    """Stream this request's upload through the pipeline; answer the image (or JSON on request).

    ``arrived_mono``/``arrived_at``: when the request arrived; the T_sync budget starts there.
    """
    config = current_config()
    deadline = Deadline(arrived_mono + config.t_sync_response_s)
    try:
        result = pipeline.ingest(pipeline.IngestRequest(
            slot_id=slot_id,
            password=password,
            receive=_body_reader(multipart.ReadLimits(deadline, config.upload_idle_s)),
            deadline=deadline,
            arrived_at=arrived_at,
            arrived_mono=arrived_mono,
            query={k: v for k, v in request.args.items() if k != "password"},
            content_length=request.content_length,
            remote_addr=request.remote_addr,
        ), is_test=is_test)
    except ApiError as exc:
        if "job_id" in exc.details and "timings" in exc.details:
            exc.headers.update(_job_headers(exc.details["job_id"], **exc.details["timings"]))
        raise
    headers = {
        **_job_headers(result.job_id, result.provider_ms, result.total_ms),
        "X-Result-Url": result.result_url,
    }
    if _wants_json():
        return jsonify(_json_body(result)), 200, headers
    return Response(result.image, status=200, mimetype=result.mime, headers=headers)


def _body_reader(limits: multipart.ReadLimits) -> UploadReader | None:
    """Reads this request's multipart body as it streams in, within ``limits``; None when it is
    not a form."""
    boundary = multipart.form_boundary(request.headers.get("Content-Type"))
    if boundary is None:
        return None

    def receive(upload: Upload, authorize: Authorize) -> None:
        # Not request.stream: MAX_CONTENT_LENGTH would answer 413 before the password is read
        # (and request.max_content_length = None falls back to it); the reader enforces size.
        stream = get_input_stream(request.environ, max_content_length=None)
        multipart.receive(stream, boundary, upload, authorize, limits)

    return receive


def _job_headers(job_id: str, provider_ms: int, total_ms: int) -> dict[str, str]:
    """``X-Job-Id`` and ``Server-Timing``: the provider call and the gateway's own share."""
    gateway_ms = max(0, total_ms - provider_ms)
    timing = f"provider;dur={provider_ms}, gateway;dur={gateway_ms}"
    return {"X-Job-Id": job_id, "Server-Timing": timing}


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
        body["preview"] = pipeline.preview_data_uri(result.image)
    return body
