"""``flask seed``: idempotent creation of the 15 slots."""

import click
from flask.cli import with_appcontext

from photoslot.services.slots.configure import seed_slots


@click.command("seed")
@with_appcontext
def seed() -> None:
    """Create the 15 slots that do not exist yet (disabled, provider 'local')."""
    created = seed_slots()
    click.echo(f"seeded {len(created)} slot(s)" + (f": {', '.join(created)}" if created else ""))
