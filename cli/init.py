"""``flask init``: the first run of a checkout, before the app can be configured.

A Flask plugin command (``flask.commands`` entry point in pyproject.toml), so ``flask`` offers it
even while the app cannot load yet for want of the secrets it generates.
"""

from __future__ import annotations

import os

import click


@click.command("init")
def init() -> None:
    """Prepare the embedded default once (secrets, folders), then migrate and seed; idempotent.

    Prints each generated password once: the admins' (when PHOTOSLOT_ADMINS is unset) and a
    first ingest password (when none is set yet).
    """
    # Imported here, not at the top: flask loads plugins before wsgi.py patches with gevent.
    from flask_migrate import upgrade

    from photoslot import create_app, first_run
    from photoslot.services.settings import generate_ingest_password
    from photoslot.services.slots.configure import seed_slots

    admin_passwords = first_run.prepare(os.environ)
    if admin_passwords:
        shown = "  ".join(f"{name} / {pw}" for name, pw in admin_passwords.items())
        click.echo(f"photoslot: generated admin passwords (shown once): {shown}", err=True)
    with create_app().app_context():
        upgrade()
        created = seed_slots()
        ingest_password = generate_ingest_password()
    click.echo(f"seeded {len(created)} slot(s)")
    if ingest_password:
        click.echo(f"photoslot: generated ingest password (shown once): {ingest_password}",
                   err=True)
