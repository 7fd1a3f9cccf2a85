"""``flask providers check``: what each provider is configured with, optionally a live call."""

import click
from flask.cli import AppGroup

from photoslot.clock import Deadline
from photoslot.providers import all_providers
from photoslot.providers.base import ProviderError

LIVE_CHECK_SECONDS = 15

providers = AppGroup("providers", help="Provider drivers.")


@providers.command("check")
@click.option("--live", is_flag=True, help="Also make one minimal real call to each provider.")
def check(live: bool) -> None:
    """Report each provider's configuration; with --live, call each configured one once."""
    failed = 0
    for name, driver in sorted(all_providers().items()):
        configured = driver.is_configured()
        line = f"{name:10} {'configured' if configured else 'not configured':15}"
        if not configured and driver.setup_hint:
            line += f" ({driver.setup_hint})"
        if live and configured:
            try:
                line += f" live ok: {driver.check_live(Deadline.after(LIVE_CHECK_SECONDS))}"
            except ProviderError as exc:
                failed += 1
                line += f" live FAILED: {exc.code}: {exc.internal}"  # for the operator: in full
        click.echo(line.rstrip())
    if failed:
        raise click.ClickException(f"{failed} provider(s) failed the live check")
