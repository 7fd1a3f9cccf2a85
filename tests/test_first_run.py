"""``flask init``: the embedded default's first run, and a Config that only reads."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import requests
from sqlalchemy import select

from photoslot import create_app
from photoslot.config import Config, ConfigError
from photoslot.extensions import db
from photoslot.models import AuditLog
from photoslot.services.ingest.password import check_ingest_password
from tests.support import ROOT, GunicornServer

EMBEDDED_VARIABLES = ("DATABASE_URL", "PHOTOSLOT_MEDIA_ROOT", "PHOTOSLOT_SECRET_KEY",
                      "PHOTOSLOT_ADMINS", "TEST_DATABASE_URL", "FLASK_APP")


def embedded_env(var_dir: Path) -> dict[str, str]:
    """The environment of a fresh checkout: nothing set but where its var directory is."""
    env = {k: v for k, v in os.environ.items() if k not in EMBEDDED_VARIABLES}
    return {**env, "PHOTOSLOT_VAR_DIR": str(var_dir)}


def flask_init(env: dict[str, str]) -> subprocess.CompletedProcess:
    result = subprocess.run([sys.executable, "-m", "flask", "init"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return result


def shown(output: str, what: str) -> str | None:
    match = re.search(rf"generated {what} \(shown once\): (.+)", output)
    return match.group(1).strip() if match else None


def test_config_only_reads_and_names_flask_init_when_the_embedded_files_are_missing(tmp_path):
    var_dir = tmp_path / "var"
    with pytest.raises(ConfigError, match="flask init"):
        Config.from_env({"PHOTOSLOT_VAR_DIR": str(var_dir)})
    assert not var_dir.exists()  # nothing was created on the way


def test_flask_init_prints_the_passwords_once_and_a_second_run_nothing_new(tmp_path):
    env = embedded_env(tmp_path / "var")
    first = flask_init(env)
    admins = shown(first.stderr, "admin passwords")
    ingest_password = shown(first.stderr, "ingest password")
    assert admins and ingest_password, first.stderr
    assert "seeded 15 slot(s)" in first.stdout
    files = {p.name: p for p in (tmp_path / "var").iterdir()}
    assert {"secret_key", "admins", "photoslot.db", "media"} <= set(files)
    assert oct(files["secret_key"].stat().st_mode & 0o777) == "0o600"
    assert oct(files["admins"].stat().st_mode & 0o777) == "0o600"
    for password in re.findall(r"(?:serg|igor) / (\S+)", admins):
        assert password not in files["admins"].read_text()  # only the hashes are kept

    second = flask_init(env)
    assert shown(second.stderr, "admin passwords") is None
    assert shown(second.stderr, "ingest password") is None
    assert "seeded 0 slot(s)" in second.stdout

    app = create_app(env)
    with app.app_context():
        assert check_ingest_password(ingest_password) is True
        rows = db.session.scalars(select(AuditLog)).all()
    assert [(r.actor, r.action, r.changes) for r in rows] == [
        ("system", "settings_changed", {"ingest_password": [None, "***"]})]


@pytest.mark.gunicorn
def test_after_init_gunicorn_serves_the_printed_passwords_and_its_workers_write_nothing(tmp_path):
    var_dir = tmp_path / "var"
    env = embedded_env(var_dir)
    admins = shown(flask_init(env).stderr, "admin passwords")
    serg_password = re.search(r"serg / (\S+)", admins).group(1)
    before = {p: p.stat().st_mtime_ns for p in var_dir.rglob("*")}

    server = GunicornServer(env, tmp_path / "gunicorn.log", workers=2)
    try:
        assert {p: p.stat().st_mtime_ns for p in var_dir.rglob("*")} == before
        login = requests.post(f"{server.base_url}/api/login", timeout=10,
                              json={"username": "serg", "password": serg_password})
        assert login.status_code == 200, login.text
        assert "generated" not in server.log()  # workers print no password
    finally:
        server.stop()
