"""Ingest: DSLR Remote Pro posts a photo and gets the processed picture back."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("ingest", __name__)
