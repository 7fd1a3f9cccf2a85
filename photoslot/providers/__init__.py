"""Provider drivers: one module per provider, registered here by name."""

from __future__ import annotations

from flask import Flask, current_app

from photoslot.providers.base import Provider
from photoslot.providers.gemini import GeminiProvider
from photoslot.providers.local import LocalProvider
from photoslot.providers.turbotext import TurbotextProvider

DRIVERS: dict[str, type[Provider]] = {
    provider.name: provider for provider in (LocalProvider, GeminiProvider, TurbotextProvider)
}


def init_providers(app: Flask) -> None:
    """Create one driver instance per provider for this app (and so per worker)."""
    config = app.extensions["photoslot.config"]
    app.extensions["photoslot.providers"] = {name: cls(config) for name, cls in DRIVERS.items()}


def get_provider(name: str) -> Provider:
    """The driver registered as ``name``; KeyError if there is none."""
    return current_app.extensions["photoslot.providers"][name]


def all_providers() -> dict[str, Provider]:
    """Every registered driver by name."""
    return dict(current_app.extensions["photoslot.providers"])
