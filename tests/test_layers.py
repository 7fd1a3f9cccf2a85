"""The layering rule of adr/0008-layers.md, read from the code's own imports.

Rooms, lowest first: core modules (photoslot/*.py), models, providers, services, blueprints;
cli beside the blueprints. A room imports only rooms below it; services and the core never
import the web framework (they run under the app context, but never see a request).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.support import ROOT

PACKAGE = ROOT / "photoslot"
WEB = ("flask", "werkzeug", "flask_jwt_extended", "prometheus_flask_exporter")
#: Core modules that bind the framework by design: the factory, extension instances, and the
#: one accessor of the app's Config.
FRAMEWORK_CORE = {"__init__.py", "extensions.py", "config.py"}


def imports_of(path: Path) -> set[str]:
    """Every module ``path`` imports, at any depth of the file (function-level imports too)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def files(room: str) -> list[Path]:
    return sorted((PACKAGE / room).rglob("*.py"))


def offending(paths: list[Path], forbidden: tuple[str, ...]) -> dict[str, list[str]]:
    bad = {}
    for path in paths:
        hits = sorted(m for m in imports_of(path)
                      if any(m == f or m.startswith(f + ".") for f in forbidden))
        if hits:
            name = path.relative_to(ROOT).as_posix() if path.is_relative_to(ROOT) else path.name
            bad[name] = hits
    return bad


ABOVE = {
    "core": ("photoslot.models", "photoslot.providers", "photoslot.services",
             "photoslot.blueprints", "cli"),
    "models": ("photoslot.providers", "photoslot.services", "photoslot.blueprints", "cli"),
    "providers": ("photoslot.models", "photoslot.services", "photoslot.blueprints", "cli"),
    "services": ("photoslot.blueprints", "cli"),
    "blueprints": ("photoslot.providers", "cli"),
}


def core_files() -> list[Path]:
    return sorted(p for p in PACKAGE.glob("*.py") if p.name not in ("__init__.py",))


@pytest.mark.parametrize("room", sorted(ABOVE))
def test_each_room_imports_only_the_rooms_below_it(room):
    paths = core_files() if room == "core" else files(room)
    forbidden = ABOVE[room]
    if room == "core":
        # extensions.py holds SQLAlchemy's declarative base for the db instance.
        paths = [p for p in paths if p.name != "extensions.py"]
    assert paths
    assert offending(paths, forbidden) == {}


def test_services_and_the_core_never_import_the_web_framework():
    paths = files("services") + [p for p in core_files() if p.name not in FRAMEWORK_CORE]
    assert offending(paths, WEB) == {}


def test_cli_commands_call_services_not_blueprints():
    assert offending(sorted((ROOT / "cli").glob("*.py")), ("photoslot.blueprints",)) == {}


def test_the_checker_sees_imports_inside_functions(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text("import os\n\ndef f():\n    from flask import request\n"
                      "    import werkzeug.http\n")
    assert offending([sample], WEB) == {"sample.py": ["flask", "flask.request", "werkzeug.http"]}
