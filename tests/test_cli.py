"""CLI: seeding (slots and the first ingest password) and admin password hashes."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from photoslot import config as config_module
from photoslot.extensions import db
from photoslot.models import SLOT_IDS, AuditLog, Slot
from photoslot.passwords import verify_password
from photoslot.services.settings import check_ingest_password, ingest_password_setting


def test_seed_twice_leaves_exactly_15_disabled_local_slots(app, runner):
    with app.app_context():
        db.session.execute(Slot.__table__.delete())
        db.session.commit()
    first = runner.invoke(args=["seed"])
    second = runner.invoke(args=["seed"])
    assert first.exit_code == 0 and "seeded 15" in first.output
    assert second.exit_code == 0 and "seeded 0" in second.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Slot)) == 15
        slots = db.session.scalars(select(Slot).order_by(Slot.id)).all()
    assert [s.id for s in slots] == list(SLOT_IDS)
    assert all(not s.enabled and s.provider == "local" for s in slots)


def test_hash_password_reads_stdin_and_prints_a_verifiable_hash(runner):
    result = runner.invoke(args=["admins", "hash-password"], input="a-long-password\n")
    assert result.exit_code == 0, result.output
    password_hash = result.output.strip()
    assert password_hash.startswith("$argon2id$")
    assert verify_password(password_hash, "a-long-password")
    assert not verify_password(password_hash, "another-password")


def test_hash_password_refuses_a_short_password(runner):
    result = runner.invoke(args=["admins", "hash-password"], input="short\n")
    assert result.exit_code != 0
    assert "at least 12" in result.output


def _generated_password(output: str) -> str | None:
    match = re.search(r"generated ingest password \(shown once\): (\S+)", output)
    return match.group(1) if match else None


def test_seed_generates_an_ingest_password_once_and_audits_it_as_system(app, runner):
    first = runner.invoke(args=["seed", "--ingest-password"])
    assert first.exit_code == 0, first.output
    password = _generated_password(first.output)
    assert password and len(password) >= 8
    second = runner.invoke(args=["seed", "--ingest-password"])
    assert second.exit_code == 0 and _generated_password(second.output) is None
    with app.app_context():
        assert check_ingest_password(password) is True
        assert ingest_password_setting().updated_by == "system"
        rows = db.session.scalars(select(AuditLog)).all()
    assert [(r.actor, r.action, r.changes) for r in rows] == [
        ("system", "settings_changed", {"ingest_password": [None, "***"]})]


def test_seed_leaves_the_ingest_password_alone_when_admins_are_configured(app, runner):
    result = runner.invoke(args=["seed"])
    assert result.exit_code == 0 and _generated_password(result.output) is None
    with app.app_context():
        assert check_ingest_password("anything") is None


def test_seed_in_the_embedded_default_generates_the_ingest_password(
    make_app, monkeypatch, tmp_path
):
    monkeypatch.setattr(config_module, "VAR_DIR", tmp_path / "var")  # keep the repo's var/ clean
    app = make_app(PHOTOSLOT_ADMINS="")
    result = app.test_cli_runner().invoke(args=["seed"])
    assert result.exit_code == 0, result.output
    password = _generated_password(result.output)
    with app.app_context():
        assert password and check_ingest_password(password) is True
