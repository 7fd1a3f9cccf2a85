"""``flask slots``: configure and list slots without the admin UI (same service as the API)."""

from __future__ import annotations

import json
from typing import Any

import click
from flask.cli import AppGroup

from photoslot.errors import ApiError
from photoslot.services.audit import SYSTEM
from photoslot.services.slots.configure import slot_rows, update_slot

slots = AppGroup("slots", help="The 15 ingest slots.")


@slots.command("list")
def list_command() -> None:
    """Print every slot: id, state, provider, operation, params, version."""
    for slot in slot_rows():
        state = "enabled " if slot.enabled else "disabled"
        params = json.dumps(slot.params or {}, sort_keys=True)
        click.echo(f"{slot.id}  {state}  {slot.provider}/{slot.operation}  {params}  "
                   f"v{slot.version}  {slot.name}")


@slots.command("configure")
@click.argument("slot_id")
@click.option("--provider", help="Provider driver name, e.g. local.")
@click.option("--operation", help="Operation of the provider, e.g. grayscale.")
@click.option("--params", "params_json", help='Operation params as JSON, e.g. \'{"delay_ms": 0}\'.')
@click.option("--name", help="Display name of the slot.")
@click.option("--enable/--disable", "enabled", default=None, help="Turn the slot on or off.")
def configure_command(slot_id: str, provider: str | None, operation: str | None,
                      params_json: str | None, name: str | None, enabled: bool | None) -> None:
    """Change a slot; the result is validated against the operation's params schema."""
    changes: dict[str, Any] = {
        key: value
        for key, value in (("provider", provider), ("operation", operation), ("name", name),
                           ("enabled", enabled))
        if value is not None
    }
    if params_json is not None:
        try:
            changes["params"] = json.loads(params_json)
        except json.JSONDecodeError as exc:
            raise click.BadParameter(f"not valid JSON: {exc}", param_hint="--params") from None
    if not changes:
        raise click.UsageError("nothing to change: give --provider, --operation, --params, "
                               "--name, --enable or --disable")
    try:
        slot = update_slot(slot_id, changes, actor=SYSTEM)
    except ApiError as exc:
        lines = [f"{exc.message} ({exc.code})"]
        lines += [f"  {field}: {reason}" for field, reason in exc.details.get("fields", {}).items()]
        raise click.ClickException("\n".join(lines)) from None
    state = "enabled" if slot.enabled else "disabled"
    click.echo(f"{slot.id} {state}: {slot.provider}/{slot.operation} "
               f"{json.dumps(slot.params, sort_keys=True)} (version {slot.version})")
