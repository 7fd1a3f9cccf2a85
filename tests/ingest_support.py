"""Helpers for ingest tests: real images, booth-shaped multipart bodies, database snapshots."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from flask import Flask
from PIL import Image, ImageChops, ImageStat
from sqlalchemy import select

from photoslot import clock
from photoslot.extensions import db
from photoslot.models import JobHistory, MediaObject
from photoslot.services.audit import SYSTEM, Actor
from photoslot.services.ingest.upload import Upload
from photoslot.services.settings import set_ingest_password
from photoslot.services.slots.configure import update_slot
from photoslot.services.slots.templates import bind_template as bind_slot_template
from photoslot.services.slots.templates import register_template
from tests.contract import assert_contract, assert_error

INGEST_PASSWORD = "the-ingest-password"
BOUNDARY = "------------------------0903a1b2c3d4e5f6"
BOOTH_CAPTURE = Path(__file__).resolve().parent / "data" / "dslr-remote-pro-request.txt"


GPS_IFD, MAKE, MODEL, ORIENTATION = 0x8825, 0x010F, 0x0110, 0x0112


def photo_bytes(size: tuple[int, int] = (64, 48), fmt: str = "JPEG") -> bytes:
    """A colourful real image (so grayscale/sepia visibly change it)."""
    image = Image.new("RGB", size)
    image.putdata([((x * 7) % 256, (y * 11) % 256, (x * y) % 256)
                   for y in range(size[1]) for x in range(size[0])])
    out = io.BytesIO()
    image.save(out, fmt)
    return out.getvalue()


def camera_jpeg(size: tuple[int, int], orientation: int = 1) -> bytes:
    """Left half red, right half blue, with a camera's EXIF (maker, model, GPS, orientation)."""
    image = Image.new("RGB", size, "blue")
    image.paste("red", (0, 0, size[0] // 2, size[1]))
    exif = Image.Exif()
    exif[MAKE], exif[MODEL], exif[ORIENTATION] = "BoothCam", "SN-123456", orientation
    exif[GPS_IFD] = {1: "N", 2: (55.0, 45.0, 0.0), 3: "E", 4: (37.0, 37.0, 0.0)}
    out = io.BytesIO()
    image.save(out, "JPEG", quality=95, exif=exif)
    return out.getvalue()


def multipart(parts: list[tuple[str, Any]], boundary: str = BOUNDARY) -> bytes:
    """Encode ``(name, value)`` parts in order; ``value`` = str field or (filename, bytes, type)."""
    chunks = []
    for name, value in parts:
        chunks.append(f"--{boundary}\r\n".encode())
        if isinstance(value, tuple):
            filename, data, content_type = value
            chunks.append(f'Content-Disposition: form-data; name="{name}"; '
                          f'filename="{filename}"\r\nContent-Type: {content_type}\r\n\r\n'.encode())
            chunks.append(data)
        else:
            chunks.append(f'Content-Disposition: form-data; name="{name}"\r\n\r\n'.encode())
            chunks.append(value.encode())
        chunks.append(b"\r\n")
    chunks.append(f"--{boundary}--\r\n".encode())
    return b"".join(chunks)


def booth_parts(photo: bytes, password: str | None = INGEST_PASSWORD,
                file_field: str = "fileToUpload") -> list[tuple[str, Any]]:
    """The fields DSLR Remote Pro 3.30.2 sends, in its order, the photo last."""
    parts: list[tuple[str, Any]] = [] if password is None else [("password", password)]
    parts += [
        ("hash", "3f1c0d9e8b7a6f5e4d3c2b1a0f9e8d7c6b5a4f3e"),
        ("time", "1763812345"),
        ("user_id", "BoothOperator"),
        ("id", "CY04N068111304S2L_00000001."),
        ("profile", r"C:\Users\BoothOperator\Documents\PhotoboothProfiles\wedding.xml"),
        ("status", r"C:\Users\BoothOperator\AppData\Local\Temp\preview.jpg"),
        ("name", "BOOTH-PC-07"),
        ("model", "Windows"),
        ("version", "3.30.2"),
        (file_field, ("IMG_0003.JPG", photo, "image/jpeg")),
    ]
    return parts


def photo_reader(photo: bytes, fields: dict[str, str] | None = None):
    """An upload reader for the ingest service without any HTTP: ``fields`` arrive first, then
    the photo is spooled the way the multipart reader does it."""

    def receive(upload: Upload, authorize) -> None:
        for name, value in (fields or {}).items():
            upload.add_field(name, value)
        authorize(dict(upload.fields))
        part = upload.start_file("fileToUpload", "IMG_0001.JPG")
        part.write(photo)
        part.close()

    return receive


def content_type(boundary: str = BOUNDARY) -> str:
    return f"multipart/form-data; boundary={boundary}"


def set_password(app: Flask, password: str = INGEST_PASSWORD) -> None:
    with app.app_context():
        set_ingest_password(password, actor=Actor("serg"))
        db.session.commit()


def configure_slot(app: Flask, slot_id: str = "slot-003", operation: str = "grayscale",
                   params: dict | None = None, enabled: bool = True,
                   provider: str = "local") -> None:
    with app.app_context():
        update_slot(slot_id, {"provider": provider, "operation": operation,
                              "params": params or {}, "enabled": enabled}, actor=SYSTEM)


def bind_template(app: Flask, slot_id: str, image: bytes) -> dict[str, Any]:
    """Register ``image`` as a template and bind it to the slot; the template's description."""
    with app.app_context():
        template = register_template(io.BytesIO(image), SYSTEM)
        bind_slot_template(slot_id, template["id"], SYSTEM)
    return template


def close_pixels(a: bytes, b: bytes, tolerance: float = 12.0) -> bool:
    """True when two images of one size look alike (e.g. a PNG and its JPEG re-encoding): their
    8×8-pixel block averages differ by at most ``tolerance`` per channel on average."""
    with Image.open(io.BytesIO(a)) as first, Image.open(io.BytesIO(b)) as second:
        if first.size != second.size:
            return False
        small = (max(1, first.width // 8), max(1, first.height // 8))
        diff = ImageChops.difference(first.convert("RGB").resize(small, Image.BOX),
                                     second.convert("RGB").resize(small, Image.BOX))
    return max(ImageStat.Stat(diff).mean) <= tolerance


def jobs(app: Flask) -> list[JobHistory]:
    with app.app_context():
        rows = list(db.session.scalars(select(JobHistory).order_by(JobHistory.started_at)))
        db.session.expunge_all()
        return rows


def media_rows(app: Flask, kind: str | None = None) -> list[MediaObject]:
    with app.app_context():
        query = select(MediaObject)
        if kind:
            query = query.where(MediaObject.kind == kind)
        rows = list(db.session.scalars(query))
        db.session.expunge_all()
        return rows


def files_under(root: Path) -> list[str]:
    """Every file under the media root, relative, hidden spool files included."""
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def assert_consistent(app: Flask, root: Path) -> None:
    """Files and rows agree: no pending job, no input file left and every input row expired (its
    link answers 410), one result (and its thumbnail, made by the ingest) per done job."""
    all_jobs = jobs(app)
    assert all(job.status != "pending" for job in all_jobs)
    inputs = media_rows(app, "input")
    assert {m.job_id for m in inputs} <= {job.id for job in all_jobs}
    assert all(m.expires_at is not None and m.expires_at <= clock.now() for m in inputs)
    assert not any((root / m.path).exists() for m in inputs)
    results = media_rows(app, "result")
    thumbnails = media_rows(app, "thumbnail")
    done = {job.id for job in all_jobs if job.status == "done"}
    assert {m.job_id for m in results} == done
    result_ids = {m.id for m in results}
    result_thumbs = [t.parent_id for t in thumbnails if t.parent_id in result_ids]
    assert sorted(result_thumbs) == sorted(result_ids)
    every_row = results + thumbnails + media_rows(app, "template")
    assert files_under(root) == sorted(m.path for m in every_row)  # no orphan file, no lost file


def assert_failed_job(app: Flask, response: Any, status: int, code: str,
                      job_status: str) -> JobHistory:
    """A 502/504 after the job was accepted: the envelope, its job id, the final job row."""
    error = assert_error(response, status, code)
    assert_contract(response)
    [job] = jobs(app)
    assert response.headers["X-Job-Id"] == job.id == error["details"]["job_id"]
    assert "X-Result-Url" not in response.headers
    assert (job.status, job.error_code) == (job_status, code)
    assert job.finished_at is not None and job.total_ms is not None
    return job


def booth_capture(photo: bytes) -> tuple[bytes, bytes]:
    """The captured DSLR Remote Pro request as (head, body) wire bytes, with ``photo`` inside."""
    text = BOOTH_CAPTURE.read_text()
    request = text[text.index("POST "):]
    head, body = request.split("\n\n", 1)
    body_bytes = body.replace("\n", "\r\n").encode().replace(b"<JPEG bytes>", photo)
    lines = [line for line in head.splitlines() if not line.startswith("Content-Length:")]
    lines.append(f"Content-Length: {len(body_bytes)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode(), body_bytes


def read_response(sock, limit: float = 30.0) -> tuple[int, dict[str, str], bytes]:
    """Read one HTTP/1.1 response (skipping any 100 Continue) from a raw socket."""
    sock.settimeout(limit)
    buffer = b""
    while True:
        while b"\r\n\r\n" not in buffer:
            chunk = sock.recv(65536)
            if not chunk:
                raise ConnectionError(f"connection closed after {buffer[:200]!r}")
            buffer += chunk
        head, buffer = buffer.split(b"\r\n\r\n", 1)
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        status = int(status_line.split()[1])
        if status != 100:
            break
    headers = {k.strip().lower(): v.strip() for k, v in
               (line.split(":", 1) for line in header_lines)}
    length = int(headers.get("content-length", "0"))
    while len(buffer) < length:
        chunk = sock.recv(65536)
        if not chunk:
            break
        buffer += chunk
    return status, headers, buffer[:length]


@contextmanager
def ingest_log_lines() -> Iterator[list[dict]]:
    """The fields of every ``"event": "ingest"`` log line written inside the block."""
    records: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = records.append
    logger = logging.getLogger("photoslot.services.ingest")
    logger.addHandler(handler)
    lines: list[dict] = []
    try:
        yield lines
    finally:
        logger.removeHandler(handler)
        lines += [r.fields for r in records if r.fields.get("event") == "ingest"]
