"""Command-line interface: click groups registered on the app by the factory."""

from __future__ import annotations

from flask import Flask

from cli.admins import admins
from cli.cleanup import cleanup_media
from cli.providers import providers
from cli.seed import seed
from cli.slots import slots


def register_commands(app: Flask) -> None:
    """Attach every command group to ``app.cli``."""
    for command in (seed, admins, slots, providers, cleanup_media):
        app.cli.add_command(command)
