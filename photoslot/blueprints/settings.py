"""Admin login, runtime settings and the audit journal."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("settings", __name__)
