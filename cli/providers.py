"""``flask providers check``: what each provider is configured with, optionally a live call."""

import click
from flask.cli import AppGroup

from photoslot.services.provider_checks import live_check, provider_statuses

providers = AppGroup("providers", help="Provider drivers.")


@providers.command("check")
@click.option("--live", is_flag=True, help="Also make one minimal real call to each provider.")
def check(live: bool) -> None:
    """Report each provider's configuration; with --live, call each configured one once."""
    outcomes = {c.status.name: c for c in live_check()} if live else {}
    failed = 0
    for status in provider_statuses():
        line = f"{status.name:10} {'configured' if status.configured else 'not configured':15}"
        if status.setup_hint:
            line += f" ({status.setup_hint})"
        outcome = outcomes.get(status.name)
        if outcome is not None and outcome.ok is not None:
            if outcome.ok:
                line += f" live ok: {outcome.message}"
            else:
                failed += 1
                line += f" live FAILED: {outcome.code}: {outcome.message}"  # for the operator
        click.echo(line.rstrip())
    if failed:
        raise click.ClickException(f"{failed} provider(s) failed the live check")
