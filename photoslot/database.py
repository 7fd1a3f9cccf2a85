"""Database connections that never wait forever.

Every wait on PostgreSQL is bounded by ``Config.db_wait_s`` (PHOTOSLOT_DB_TIMEOUT_S, at most a
quarter of T_sync): connecting (libpq's ``connect_timeout``), each statement (the server's
``statement_timeout``), and, under gevent, every single socket wait of psycopg2 — libpq ignores
``connect_timeout`` in the non-blocking mode gevent needs, and a server that stops answering
mid-statement cancels nothing. A wait that runs out closes that connection and raises
``psycopg2.OperationalError``; SQLAlchemy sees the closed connection as a disconnect, the pool
drops it, and the request answers 503 ``database_unavailable`` (blueprints/errors.py). The next
request connects afresh, so the service recovers without a restart (ADR 0013).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy.exc import (
    DBAPIError,
    DisconnectionError,
    InterfaceError,
    OperationalError,
)
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

from photoslot.config import Config

#: Seconds one socket wait may last; set from the Config by the app factory.
_wait_limit_s = 10.0
#: False while migrations run: their statements may take minutes (connecting stays bounded).
_statements_bounded = True
#: A statement gets this much longer than its server-side timeout, so the server's cancel
#: (which keeps the connection usable) normally arrives first.
STATEMENT_GRACE_S = 1.0
#: libpq treats a connect_timeout below 2 s as 2 s.
_MIN_CONNECT_TIMEOUT_S = 2


def engine_options(config: Config) -> dict[str, Any]:
    """SQLAlchemy engine options: pre-ping always; pool sizes and timeouts for PostgreSQL."""
    options: dict[str, Any] = {"pool_pre_ping": True}
    if not config.is_postgres:
        return options
    wait_s = config.db_wait_s
    # gevent serves many requests per worker, but a connection is held only around short
    # transactions (never while a provider works), so a modest pool serves them all.
    return options | {
        "pool_size": config.db_pool_size,
        "max_overflow": config.db_max_overflow,
        "pool_timeout": wait_s,
        "connect_args": {
            "connect_timeout": max(_MIN_CONNECT_TIMEOUT_S, math.ceil(wait_s)),
            "options": f"-c statement_timeout={int(wait_s * 1000)}",
        },
    }


#: What a database outage raises: lost, refused or timed-out connections, an exhausted pool.
OUTAGE_ERRORS = (DBAPIError, PoolTimeoutError, DisconnectionError)


def is_unavailable(exc: BaseException) -> bool:
    """True when ``exc`` means the database is unreachable, lost or too slow (503), not that a
    statement was wrong (a bug, 500)."""
    if isinstance(exc, PoolTimeoutError | DisconnectionError):
        return True
    if not isinstance(exc, DBAPIError):
        return False
    return exc.connection_invalidated or isinstance(exc, OperationalError | InterfaceError)


def set_wait_limit(config: Config) -> None:
    """Bound every socket wait of the cooperative psycopg2 callback by ``config.db_wait_s``."""
    global _wait_limit_s
    _wait_limit_s = config.db_wait_s


@contextmanager
def unbounded_statements() -> Iterator[None]:
    """Lift the limit on statement waits for a while (connecting stays bounded): migrations may
    rightly run for minutes; migrations/env.py also lifts the server's statement timeout."""
    global _statements_bounded
    saved, _statements_bounded = _statements_bounded, False
    try:
        yield
    finally:
        _statements_bounded = saved


def make_psycopg_cooperative() -> None:
    """Install psycogreen's gevent wait callback, bounded, in psycopg2 (wsgi.py, after
    monkey-patching)."""
    from psycopg2 import extensions

    extensions.set_wait_callback(bounded_wait)


def bounded_wait(conn: Any) -> None:
    """psycopg2 wait callback: psycogreen's gevent loop, with every socket wait bounded; a wait
    longer than the limit raises OperationalError (psycopg2 then closes ``conn``)."""
    import psycopg2
    from psycogreen.gevent import gevent_wait_callback
    from psycopg2 import extensions

    connecting = conn.status == extensions.STATUS_SETUP or conn.status > extensions.STATUS_PREPARED
    limit: float | None = _wait_limit_s
    if not connecting:
        limit = _wait_limit_s + STATEMENT_GRACE_S if _statements_bounded else None
    try:
        gevent_wait_callback(conn, timeout=limit)
    except TimeoutError:  # gevent's wait_read/wait_write ran out (socket.timeout)
        raise psycopg2.OperationalError(
            f"the database did not answer within {limit} s "
            f"({'connecting' if connecting else 'statement'})") from None
