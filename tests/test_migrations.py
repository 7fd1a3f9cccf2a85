"""Migrations: upgrade from empty, downgrade to base, and agree with the models."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from photoslot.extensions import db
from photoslot.models import Base
from tests.support import drop_everything, migrate

TABLES = {"slot", "slot_template_media", "setting", "job_history", "media_object", "audit_log",
          "cleanup_run"}


def test_upgrade_from_empty_then_downgrade_to_base_and_back(app):
    drop_everything(app.config["SQLALCHEMY_DATABASE_URI"])
    try:
        migrate(app)
        with app.app_context():
            assert set(inspect(db.engine).get_table_names()) >= TABLES
            with db.engine.connect() as conn:
                diffs = compare_metadata(MigrationContext.configure(conn), Base.metadata)
            assert diffs == [], "models and migrations disagree"
        migrate(app, "base", down=True)
        with app.app_context():
            assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
    finally:
        migrate(app)
