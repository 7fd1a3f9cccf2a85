"""``flask admins``: helpers for the static administrator accounts."""

import sys

import click
from flask.cli import AppGroup

from photoslot.passwords import hash_password

MIN_PASSWORD_LENGTH = 12


admins = AppGroup("admins", help="Static administrator accounts (PHOTOSLOT_ADMINS).")


@admins.command("hash-password")
def hash_password_command() -> None:
    """Print an argon2 hash for PHOTOSLOT_ADMINS; the password is prompted or read from stdin."""
    if sys.stdin.isatty():
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise click.ClickException(f"password must be at least {MIN_PASSWORD_LENGTH} characters")
    click.echo(hash_password(password))
