"""Admin JSON API: slots, providers, template media, maintenance."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("admin", __name__)
