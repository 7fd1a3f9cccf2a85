"""Shared fixtures: app, client, runner, a clean database per test, a real gunicorn server."""

from __future__ import annotations

import os
import socket
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask

from photoslot import clock, create_app
from photoslot.blueprints.guards import issue_token
from photoslot.config import ALL_PERMISSIONS
from photoslot.extensions import db
from photoslot.models import Base
from photoslot.passwords import hash_password
from photoslot.services.slots.configure import seed_slots
from tests.support import ADMIN_PASSWORDS, SECRET_KEY, GunicornServer, drop_everything, migrate


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark tests that start gunicorn; skip PostgreSQL-only tests on SQLite, saying why."""
    on_postgres = os.environ.get("TEST_DATABASE_URL", "").startswith("postgresql")
    for item in items:
        if "gunicorn_server" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.gunicorn)
        marker = item.get_closest_marker("postgres")
        if marker and not on_postgres:
            reason = marker.args[0] if marker.args else "PostgreSQL semantics"
            item.add_marker(pytest.mark.skip(
                reason=f"needs PostgreSQL: {reason} (set TEST_DATABASE_URL)"))


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """PostgreSQL when TEST_DATABASE_URL is set (CI), else a temporary SQLite file."""
    return os.environ.get("TEST_DATABASE_URL") or (
        f"sqlite:///{tmp_path_factory.mktemp('db') / 'photoslot-test.db'}"
    )


@pytest.fixture(scope="session")
def admins_env() -> str:
    return ",".join(f"{name}:{hash_password(pw)}" for name, pw in ADMIN_PASSWORDS.items())


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


@pytest.fixture
def closed_port() -> int:
    """A local port nothing listens on (connections are refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


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
