"""CLI: seeding the slots and admin password hashes (``flask init``: tests/test_first_run.py)."""

from __future__ import annotations

from sqlalchemy import func, select

from photoslot.extensions import db
from photoslot.models import SLOT_IDS, Slot
from photoslot.passwords import verify_password


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
