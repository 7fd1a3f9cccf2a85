"""Ingest: DSLR Remote Pro posts a photo and gets the processed picture back."""

from __future__ import annotations

import time

from flask import Blueprint, g, request
from flask.typing import ResponseReturnValue

from photoslot import clock
from photoslot.blueprints.ingest_response import run_ingest

bp = Blueprint("ingest", __name__)


@bp.before_request
def mark_arrival() -> None:
    """The T_sync budget starts here, before a byte of the body is read."""
    g.arrived_mono = time.monotonic()
    g.arrived_at = clock.now()


@bp.post("/<slot_id>")
def ingest_photo(slot_id: str) -> ResponseReturnValue:
    """Process the uploaded photo with the slot's provider; answer with the result image."""
    return run_ingest(slot_id, _password_outside_the_body(), g.arrived_mono, g.arrived_at)


def _password_outside_the_body() -> str | None:
    """``X-Ingest-Password``, ``Authorization: Bearer``, or ``?password=`` (in that order)."""
    if header := request.headers.get("X-Ingest-Password"):
        return header
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    return request.args.get("password")
