"""Command-line interface: click commands and groups registered on the app by the factory."""

from __future__ import annotations

from flask import Flask


def register_commands(app: Flask) -> None:
    """Attach every command and group to ``app.cli`` (``flask init`` is a plugin: cli/init.py)."""
    # Imported here, not at the top: `flask init` loads this package before gevent patching.
    from cli.admins import admins
    from cli.cleanup import cleanup_media
    from cli.providers import providers
    from cli.seed import seed
    from cli.slots import slots

    for command in (seed, admins, slots, providers, cleanup_media):
        app.cli.add_command(command)
