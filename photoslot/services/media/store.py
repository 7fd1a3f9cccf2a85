"""The one media path helper: every file under the media root is written, read and deleted here,
and every public link to one is built here.

A full disk (ENOSPC, EDQUOT) is ``507 storage_full``; a media root that cannot be written (EACCES,
EPERM, EROFS) is ``503 storage_unavailable`` with ``Retry-After``. Either way nothing is left
half-written: a result is written to a temporary file, flushed to disk, then renamed into place.
"""

from __future__ import annotations

import errno
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from photoslot.config import current_config
from photoslot.errors import ApiError

KIND_DIRS = {"input": "inputs", "result": "results", "template": "templates", "thumbnail": "thumbs"}
EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp"}


#: How long a client should wait before retrying after ``503 storage_unavailable``.
STORAGE_RETRY_AFTER_S = 30
_FULL = frozenset({errno.ENOSPC, errno.EDQUOT})
_UNWRITABLE = frozenset({errno.EACCES, errno.EPERM, errno.EROFS})


class MediaPathError(ValueError):
    """A stored path points outside the media root (or is otherwise unsafe)."""


class StorageError(ApiError):
    """The media root is full (507) or cannot be written (503); the envelope says which."""


@contextmanager
def _storage_errors() -> Iterator[None]:
    """Turn a full or unwritable media root into its StorageError; other OSErrors pass."""
    try:
        yield
    except OSError as exc:
        if exc.errno in _FULL:
            raise StorageError(507, "storage_full", "the media storage is full; nothing was "
                               "kept", {"reason": errno.errorcode[exc.errno]}) from exc
        if exc.errno in _UNWRITABLE:
            raise StorageError(503, "storage_unavailable", "the media storage cannot be "
                               "written; nothing was kept",
                               {"reason": errno.errorcode[exc.errno]},
                               {"Retry-After": str(STORAGE_RETRY_AFTER_S)}) from exc
        raise


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


def write_bytes(relative: str, data: bytes, durable: bool = True) -> int:
    """Write ``data`` atomically: a temp file, flushed to disk (fsync), renamed into place, the
    directory flushed too; return the size. StorageError when the disk is full or read-only.

    ``durable=False`` skips both flushes, for a file that lives only as long as its request (an
    ingest's input): an fsync blocks the worker's whole event loop, and a crash loses that
    request anyway."""
    path = resolve(relative)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        with _storage_errors():
            path.parent.mkdir(parents=True, exist_ok=True)
            with MediaWriter(tmp) as writer:
                writer.write(data)
                if durable:
                    writer.sync()
            os.replace(tmp, path)
            if durable:
                _sync_directory(path.parent)
    finally:
        tmp.unlink(missing_ok=True)
    return len(data)


class MediaWriter:
    """A new file under the media root written without buffering, so a full disk shows at the
    ``write`` that hit it (as StorageError), never later in a ``close``."""

    def __init__(self, path: Path):
        self.path = path
        with _storage_errors():
            self._fd: int | None = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)

    def write(self, data: bytes) -> None:
        """Write all of ``data``."""
        view = memoryview(data)
        with _storage_errors():
            while view:
                view = view[os.write(self._require_fd(), view):]

    def sync(self) -> None:
        """Flush the file's data to the disk."""
        with _storage_errors():
            os.fsync(self._require_fd())

    def close(self) -> None:
        """Close the file (safe to call more than once)."""
        if self._fd is not None:
            fd, self._fd = self._fd, None
            os.close(fd)

    def _require_fd(self) -> int:
        if self._fd is None:
            raise ValueError("write to a closed MediaWriter")
        return self._fd

    def __enter__(self) -> MediaWriter:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


def open_for_writing(relative: str) -> MediaWriter:
    """A new file at ``relative`` opened for writing (its directory is made if missing)."""
    path = resolve(relative)
    with _storage_errors():
        path.parent.mkdir(parents=True, exist_ok=True)
    return MediaWriter(path)


def _sync_directory(directory: Path) -> None:
    """Make a rename in ``directory`` durable (the directory entry is flushed too)."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


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
