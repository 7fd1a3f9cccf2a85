"""Ingest: DSLR Remote Pro posts a photo and gets the processed picture back."""

from __future__ import annotations

import time

from flask import Blueprint, Response, g, jsonify, request
from flask.typing import ResponseReturnValue

from photoslot import clock
from photoslot.config import current_config
from photoslot.providers.base import Deadline
from photoslot.services import ingest as ingest_service
from photoslot.services.jobs import JobResult, server_timing

bp = Blueprint("ingest", __name__)


@bp.before_request
def mark_arrival() -> None:
    """The T_sync budget starts here, before a byte of the body is read."""
    g.arrived_mono = time.monotonic()
    g.arrived_at = clock.now()


@bp.post("/<slot_id>")
def ingest_photo(slot_id: str) -> ResponseReturnValue:
    """Process the uploaded photo with the slot's provider; answer with the result image."""
    config = current_config()
    result = ingest_service.ingest(ingest_service.IngestRequest(
        slot_id=slot_id,
        password=_password_outside_the_body(),
        content_type=request.headers.get("Content-Type"),
        open_body=lambda: request.stream,
        deadline=Deadline(g.arrived_mono + config.t_sync_response_s),
        arrived_at=g.arrived_at,
        query={k: v for k, v in request.args.items() if k != "password"},
    ))
    headers = {
        "X-Job-Id": result.job_id,
        "X-Result-Url": result.result_url,
        "Server-Timing": server_timing(result.provider_ms, result.total_ms),
    }
    if _wants_json():
        return jsonify(_json_body(result)), 200, headers
    return Response(result.image, status=200, mimetype=result.mime, headers=headers)


def _password_outside_the_body() -> str | None:
    """``X-Ingest-Password``, ``Authorization: Bearer``, or ``?password=`` (in that order)."""
    if header := request.headers.get("X-Ingest-Password"):
        return header
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    return request.args.get("password")


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
        "expires_at": result.expires_at.isoformat(),
        "mime": result.mime,
        "timings": {"provider_ms": result.provider_ms, "total_ms": result.total_ms},
    }
    if request.args.get("preview") in ("1", "true", "yes"):
        body["preview"] = ingest_service.preview_data_uri(result.image)
    return body
