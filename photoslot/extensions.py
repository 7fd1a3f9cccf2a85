"""Unbound extension instances; the app factory binds them with ``init_app``."""

import sqlite3
from typing import Any

from flask import current_app
from flask_jwt_extended import JWTManager
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import event
from sqlalchemy.engine import Engine

from photoslot.models.base import Base
from photoslot.ratelimit import AttemptCounters

db = SQLAlchemy(model_class=Base)
migrate = Migrate()
jwt = JWTManager()
#: Owns the rate-limit storage (PHOTOSLOT_RATELIMIT_STORAGE_URI) and its moving-window strategy;
#: the password-attempt counters (photoslot/ratelimit.py) count through it.
limiter = Limiter(key_func=get_remote_address, default_limits=[])


def attempt_counters() -> AttemptCounters:
    """The password-attempt counters of the current app (one per app, made by the factory)."""
    return current_app.extensions["photoslot.attempts"]


@event.listens_for(Engine, "connect")
def _enforce_sqlite_foreign_keys(dbapi_connection: Any, _record: Any) -> None:
    # SQLite ignores foreign keys unless asked; PostgreSQL always enforces them.
    if isinstance(dbapi_connection, sqlite3.Connection):
        dbapi_connection.execute("PRAGMA foreign_keys=ON")
