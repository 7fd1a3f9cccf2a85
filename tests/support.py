"""Test helpers shared by the suites (fixtures live in conftest.py, helpers here)."""

from __future__ import annotations

import logging
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import requests
from flask import Flask
from sqlalchemy import create_engine, inspect, text

from photoslot.models import Base

ROOT = Path(__file__).resolve().parent.parent
ADMIN_PASSWORDS = {"serg": "serg-test-password", "igor": "igor-test-password"}
SECRET_KEY = "test-secret-key-only-for-the-test-suite-0123456789"


@contextmanager
def logged_events(logger_name: str) -> Iterator[list[dict]]:
    """The structured fields of every record logged under ``logger_name`` inside the block."""
    events: list[dict] = []
    handler = logging.Handler()
    handler.emit = lambda record: events.append(getattr(record, "fields", {}))
    logger = logging.getLogger(logger_name)
    logger.addHandler(handler)
    try:
        yield events
    finally:
        logger.removeHandler(handler)


def drop_everything(database_url: str) -> None:
    """Remove every table, including Alembic's version table."""
    engine = create_engine(database_url)
    with engine.begin() as conn:
        Base.metadata.drop_all(conn)
        conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
        assert not inspect(conn).get_table_names(), "unexpected tables left in the test database"
    engine.dispose()


def migrate(app: Flask, revision: str = "head", down: bool = False) -> None:
    """Run Alembic (through flask-migrate) against the app's database."""
    from flask_migrate import downgrade, upgrade

    with app.app_context():
        (downgrade if down else upgrade)(revision=revision)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class GunicornServer:
    """A real ``gunicorn -c gunicorn.conf.py`` (gevent workers) on a free loopback port."""

    def __init__(self, env: dict[str, str], log_path: Path, workers: int = 2,
                 port: int | None = None):
        # A caller may pick the port first (free_port()) to put the server's own URL into env.
        self.port = port or free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        full_env = {
            **os.environ,
            **env,
            "PHOTOSLOT_BIND": f"127.0.0.1:{self.port}",
            "PHOTOSLOT_WORKERS": str(workers),
            "PROMETHEUS_MULTIPROC_DIR": str(log_path.parent / f"prom-{self.port}"),
        }
        self._log = open(log_path, "wb")  # noqa: SIM115  (closed in stop())
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py"],
            cwd=ROOT,
            env=full_env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        self._wait_until_up()

    def _wait_until_up(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited early:\n{self.log()}")
            try:
                if requests.get(f"{self.base_url}/healthz", timeout=1).status_code == 200:
                    return
            except requests.RequestException:
                time.sleep(0.1)
        raise RuntimeError(f"gunicorn did not come up:\n{self.log()}")

    def log(self) -> str:
        self._log.flush()
        return self.log_path.read_text(errors="replace")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self._log.close()
