"""Shared fixtures: app, client, runner, a clean database per test, a real gunicorn server."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import requests
from flask import Flask
from sqlalchemy import create_engine, inspect, text

from photoslot import clock, create_app
from photoslot.blueprints.guards import issue_token
from photoslot.config import ALL_PERMISSIONS
from photoslot.extensions import db
from photoslot.models import Base
from photoslot.passwords import hash_password
from photoslot.services.slots.configure import seed_slots

ROOT = Path(__file__).resolve().parent.parent
ADMIN_PASSWORDS = {"serg": "serg-test-password", "igor": "igor-test-password"}
SECRET_KEY = "test-secret-key-only-for-the-test-suite-0123456789"


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """PostgreSQL when TEST_DATABASE_URL is set (CI), else a temporary SQLite file."""
    return os.environ.get("TEST_DATABASE_URL") or (
        f"sqlite:///{tmp_path_factory.mktemp('db') / 'photoslot-test.db'}"
    )


@pytest.fixture(scope="session")
def admins_env() -> str:
    return ",".join(f"{name}:{hash_password(pw)}" for name, pw in ADMIN_PASSWORDS.items())


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


@pytest.fixture(scope="session")
def base_env(database_url: str, admins_env: str, tmp_path_factory: pytest.TempPathFactory):
    """Environment overrides shared by every app the tests build."""
    return {
        "DATABASE_URL": database_url,
        "PHOTOSLOT_MEDIA_ROOT": str(tmp_path_factory.mktemp("media-unused")),
        "PHOTOSLOT_SECRET_KEY": SECRET_KEY,
        "PHOTOSLOT_ADMINS": admins_env,
        "PHOTOSLOT_PUBLIC_BASE_URL": "http://gateway.test",
        "PHOTOSLOT_RATELIMIT_STORAGE_URI": "memory://",
    }


@pytest.fixture(scope="session")
def _schema(base_env: dict[str, str]) -> None:
    """Build the schema once per run through the real migrations."""
    drop_everything(base_env["DATABASE_URL"])
    migrate(create_app(base_env))


def _empty_tables(app: Flask) -> None:
    with app.app_context(), db.engine.begin() as conn:
        for table in reversed(Base.metadata.sorted_tables):
            conn.execute(table.delete())


@pytest.fixture
def media_root(tmp_path: Path) -> Path:
    root = tmp_path / "media"
    root.mkdir()
    return root


@pytest.fixture
def app_env(base_env: dict[str, str], media_root: Path) -> dict[str, str]:
    """This test's environment; tests may change it before asking for ``app``."""
    return {**base_env, "PHOTOSLOT_MEDIA_ROOT": str(media_root)}


@pytest.fixture
def make_app(_schema: None, app_env: dict[str, str]) -> Iterator[Callable[..., Flask]]:
    """Build apps on a clean database with the 15 slots seeded; overrides are env variables."""
    built: list[Flask] = []

    def factory(**overrides: str) -> Flask:
        app = create_app({**app_env, **overrides})
        app.config["TESTING"] = True
        if not built:
            _empty_tables(app)
            with app.app_context():
                seed_slots()
        built.append(app)
        return app

    yield factory
    for app in built:
        with app.app_context():
            db.engine.dispose()


@pytest.fixture
def app(make_app: Callable[..., Flask]) -> Flask:
    return make_app()


@pytest.fixture
def client(app: Flask):
    return app.test_client()


@pytest.fixture
def runner(app: Flask):
    return app.test_cli_runner()


@pytest.fixture(autouse=True)
def _real_time() -> Iterator[None]:
    """Every test starts and ends on real time, whatever it moved."""
    clock.reset()
    yield
    clock.reset()


@pytest.fixture
def auth_headers(app: Flask) -> Callable[..., dict[str, str]]:
    """Mint a bearer token for an admin (valid from ``clock.now()``), optionally narrowed."""

    def make(username: str = "serg", permissions: set[str] | None = None) -> dict[str, str]:
        with app.app_context():
            token = issue_token(username, ALL_PERMISSIONS if permissions is None else permissions)
        return {"Authorization": f"Bearer {token}"}

    return make


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


@pytest.fixture
def gunicorn_server(app: Flask, app_env: dict[str, str], tmp_path: Path):
    """Factory: start real gunicorn servers on this test's database; all stopped afterwards."""
    servers: list[GunicornServer] = []

    def start(workers: int = 2, **overrides: str) -> GunicornServer:
        server = GunicornServer({**app_env, **overrides}, tmp_path / f"gunicorn-{len(servers)}.log",
                                workers)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()
