"""The embedded default's first run: what ``flask init`` generates once, so that Config only reads.

In the var directory (PHOTOSLOT_VAR_DIR): the folders of the SQLite database and the media, a
signing key (unless PHOTOSLOT_SECRET_KEY is set) and the two admins' password hashes (unless
PHOTOSLOT_ADMINS is set). The admins' passwords are returned to be shown once; only their hashes
are kept. Safe to run again and from racing processes: what exists is never replaced.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Mapping
from pathlib import Path

from photoslot.config import (
    ADMIN_NAMES,
    ADMINS_FILE,
    SECRET_KEY_FILE,
    media_root_of,
    var_dir,
)
from photoslot.passwords import hash_password


def prepare(env: Mapping[str, str]) -> dict[str, str]:
    """Create what is missing; return the admin passwords generated now ({} when none were)."""
    folder = var_dir(env)
    folder.mkdir(parents=True, exist_ok=True)
    media_root_of(env).mkdir(parents=True, exist_ok=True)
    if not env.get("PHOTOSLOT_SECRET_KEY"):
        create_once(folder / SECRET_KEY_FILE, lambda: secrets.token_urlsafe(48))
    if env.get("PHOTOSLOT_ADMINS"):
        return {}
    passwords = {name: secrets.token_urlsafe(12) for name in ADMIN_NAMES}
    created = create_once(
        folder / ADMINS_FILE,
        lambda: ",".join(f"{name}:{hash_password(pw)}" for name, pw in passwords.items()),
    )
    return passwords if created else {}


def create_once(path: Path, make_content: Callable[[], str]) -> bool:
    """Create ``path`` (mode 600) with ``make_content()`` unless it exists; True if created now.

    Safe against concurrent runs: the content is written to a temporary file and published with
    link(), which fails if another process won, so nobody ever reads a half-written file.
    """
    if path.exists():
        return False
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(make_content())
    try:
        os.link(tmp, path)
    except FileExistsError:
        return False
    finally:
        tmp.unlink()
    return True
