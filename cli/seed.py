"""``flask seed``: idempotent creation of the 15 slots (and, embedded, a first ingest password)."""

import click
from flask.cli import with_appcontext

from photoslot.config import current_config
from photoslot.services.settings import generate_ingest_password
from photoslot.services.slots.configure import seed_slots


@click.command("seed")
@click.option(
    "--ingest-password/--no-ingest-password",
    default=None,
    help="Generate an ingest password if none is set "
    "(default: only in the embedded default, i.e. when PHOTOSLOT_ADMINS is unset).",
)
@with_appcontext
def seed(ingest_password: bool | None) -> None:
    """Create the 15 slots that do not exist yet (disabled, provider 'local')."""
    created = seed_slots()
    click.echo(f"seeded {len(created)} slot(s)" + (f": {', '.join(created)}" if created else ""))
    if ingest_password is None:
        ingest_password = current_config().embedded_admins
    generated = generate_ingest_password() if ingest_password else None
    if generated:
        click.echo(f"photoslot: generated ingest password (shown once): {generated}", err=True)
