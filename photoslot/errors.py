"""The one error type of the application: what the client is told, as the JSON envelope
``{"error": {"code", "message", "details"}}`` with its HTTP status (blueprints/errors.py)."""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    """An outcome the client is told about: a status, a stable ``code``, a message, details."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        details: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = details or {}
        self.headers = headers or {}
