"""The one media path helper: every file under the media root is written, read and deleted here,
and every public link to one is built here."""

from __future__ import annotations

import os
import uuid
from pathlib import Path
from typing import BinaryIO

from photoslot.config import current_config

KIND_DIRS = {"input": "inputs", "result": "results", "template": "templates", "thumbnail": "thumbs"}
EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp"}


class MediaPathError(ValueError):
    """A stored path points outside the media root (or is otherwise unsafe)."""


def media_root() -> Path:
    return current_config().media_root


def relative_path(kind: str, object_id: str, mime: str) -> str:
    """Where an object of ``kind`` lives, relative to the media root (never from user input)."""
    return f"{KIND_DIRS[kind]}/{object_id}.{EXTENSIONS.get(mime, 'bin')}"


def resolve(relative: str) -> Path:
    """Absolute path of ``relative`` inside the media root; MediaPathError if it would escape."""
    root = media_root()
    if not relative or os.path.isabs(relative) or "\0" in relative:
        raise MediaPathError(f"unsafe media path {relative!r}")
    path = (root / relative).resolve()
    if not path.is_relative_to(root) or path == root:
        raise MediaPathError(f"media path {relative!r} escapes the media root")
    return path


def write_bytes(relative: str, data: bytes) -> int:
    """Write ``data`` atomically (temp file + rename); return the size."""
    path = resolve(relative)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        tmp.write_bytes(data)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return len(data)


def open_for_writing(relative: str) -> BinaryIO:
    """A new file at ``relative`` opened for writing (its directory is made if missing)."""
    path = resolve(relative)
    path.parent.mkdir(parents=True, exist_ok=True)
    return open(path, "wb")  # noqa: SIM115  (the caller closes it)


def read_bytes(relative: str) -> bytes:
    return resolve(relative).read_bytes()


def delete_file(relative: str) -> bool:
    """Delete the file if present; True if something was deleted. A missing file is fine."""
    try:
        resolve(relative).unlink()
    except FileNotFoundError:
        return False
    return True


def probe_writable() -> None:
    """Write and remove a small file at the top of the media root (the cleanup never looks
    there); OSError when the media root cannot take a new file."""
    probe = media_root() / f".probe-{os.getpid()}-{uuid.uuid4().hex}"
    try:
        probe.write_bytes(b"probe")
    finally:
        probe.unlink(missing_ok=True)


def public_url(path: str) -> str:
    """``path`` (starting with ``/``) made absolute with PHOTOSLOT_PUBLIC_BASE_URL."""
    return f"{current_config().public_base_url}{path}"


def media_url(token: str) -> str:
    """The public link of a media object (inputs and templates), served by token."""
    return public_url(f"/public/media/{token}")


def thumbnail_url(token: str) -> str:
    """The public link of a thumbnail, served by its own token."""
    return public_url(f"/public/thumbnails/{token}")


def result_url(job_id: str) -> str:
    """The public link of a job's result."""
    return public_url(f"/public/results/{job_id}")
