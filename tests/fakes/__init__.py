"""Fake provider servers: real HTTP on 127.0.0.1, strict about the wire format, scriptable modes.

Every fake logs each request it receives (with arrival and answer times) and answers according to
a *mode*: a comma-separated list of tokens such as ``ok``, ``latency=1500`` or ``status=429``.
The mode comes from, in order: the request's ``X-Fake-Mode`` header, a ``[fake:...]`` marker in
the prompt text the gateway forwards verbatim, or the server-wide ``.mode`` attribute.
"""

from __future__ import annotations

import argparse
import json
import re
import socket
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar
from urllib.parse import urlsplit

MODE_HEADER = "x-fake-mode"
MODE_MARKER = re.compile(r"\[fake:([^\]]*)\]")


@dataclass
class RecordedRequest:
    """One request as the fake saw it; times are taken on arrival and after the answer."""

    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: bytes
    started: float
    started_wall: float
    peer: str = ""
    mode: dict[str, str] = field(default_factory=dict)
    info: dict[str, Any] = field(default_factory=dict)
    status: int | None = None
    ended: float | None = None
    ended_wall: float | None = None


@dataclass
class Reply:
    """What the fake answers: a body, or ``drop`` to close the socket without answering."""

    status: int = 200
    body: bytes = b""
    content_type: str = "application/json; charset=utf-8"
    latency_ms: int = 0
    drop: bool = False
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def json(cls, status: int, payload: Any) -> Reply:
        """A JSON answer."""
        return cls(status, json.dumps(payload, ensure_ascii=False).encode())


def parse_mode(spec: str, known: frozenset[str]) -> dict[str, str]:
    """Parse ``"latency=500, status=429"`` into ``{"latency": "500", "status": "429"}``."""
    mode: dict[str, str] = {}
    for token in re.split(r"[,\s]+", spec.strip()):
        if not token:
            continue
        key, _, value = token.partition("=")
        if key not in known:
            raise ValueError(f"unknown fake mode {key!r}; known: {sorted(known)}")
        mode[key] = value
    return mode


def latency_of(mode: dict[str, str]) -> int:
    """The ``latency=MS`` token as milliseconds (0 when absent)."""
    return int(mode.get("latency") or 0)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def do_GET(self) -> None:  # noqa: N802 - http.server naming
        self._dispatch()

    def do_POST(self) -> None:  # noqa: N802
        self._dispatch()

    def _dispatch(self) -> None:
        fake = self.server.fake
        started, started_wall = time.monotonic(), time.time()
        length = int(self.headers.get("Content-Length") or 0)
        parts = urlsplit(self.path)
        record = RecordedRequest(
            method=self.command,
            path=parts.path,
            query=parts.query,
            headers={k.lower(): v for k, v in self.headers.items()},
            body=self.rfile.read(length) if length else b"",
            started=started,
            started_wall=started_wall,
            peer=f"{self.client_address[0]}:{self.client_address[1]}",
        )
        fake.record(record)
        try:
            reply = fake.handle(record)
        except Exception as exc:  # a bug in the fake must surface as a visible 500, not a hang
            record.info["fake_crash"] = repr(exc)
            reply = Reply.json(500, {"fake_crash": repr(exc)})
        if reply.latency_ms:
            time.sleep(reply.latency_ms / 1000)
        if reply.drop:
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
        else:
            record.status = reply.status
            self.send_response(reply.status)
            self.send_header("Content-Type", reply.content_type)
            self.send_header("Content-Length", str(len(reply.body)))
            for name, value in reply.headers.items():
                self.send_header(name, value)
            self.end_headers()
            try:
                self.wfile.write(reply.body)
            except (BrokenPipeError, ConnectionResetError):
                # The client gave up (deadline, size limit): that is its right, not a fake bug.
                self.close_connection = True
                record.info["client_gone"] = True
        record.ended, record.ended_wall = time.monotonic(), time.time()

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        """Stay quiet; tests read ``fake.requests`` instead."""


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    fake: FakeServer


class FakeServer:
    """Base of the fakes: owns the HTTP server thread, the request log and the mode."""

    known_modes: ClassVar[frozenset[str]] = frozenset({"ok", "latency"})

    def __init__(self, *, mode: str = "ok", host: str = "127.0.0.1", port: int = 0):
        self._server = _Server((host, port), _Handler)
        self._server.fake = self
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self.requests: list[RecordedRequest] = []
        self.mode = mode

    @property
    def mode(self) -> str:
        """The server-wide mode used when a request carries none of its own."""
        return self._mode

    @mode.setter
    def mode(self, spec: str) -> None:
        parse_mode(spec, self.known_modes)
        self._mode = spec

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT`` of the running server."""
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def mode_for(self, record: RecordedRequest, text: str = "") -> dict[str, str]:
        """The mode for one request: header, then prompt marker, then the server-wide mode."""
        marker = MODE_MARKER.search(text)
        spec = record.headers.get(MODE_HEADER) or (marker.group(1) if marker else self.mode)
        record.mode = parse_mode(spec, self.known_modes)
        return record.mode

    def record(self, record: RecordedRequest) -> None:
        """Append to the request log (called by the handler thread)."""
        with self._lock:
            self.requests.append(record)

    def handle(self, record: RecordedRequest) -> Reply:
        """Answer one request; subclasses implement the service."""
        raise NotImplementedError

    def start(self) -> FakeServer:
        """Serve in a daemon thread; returns self."""
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the listening socket."""
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join()
        self._server.server_close()

    def __enter__(self) -> FakeServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def run_cli(fake_class: type[FakeServer], argv: list[str] | None = None, **extra: Any) -> None:
    """Run a fake in the foreground: ``python -m tests.fakes.<name> --port N [--mode M]``."""
    parser = argparse.ArgumentParser(description=fake_class.__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument(
        "--mode", default="ok", help=f"tokens from {sorted(fake_class.known_modes)}"
    )
    parser.add_argument("--api-key", default=None, help="the key the fake accepts")
    args = parser.parse_args(argv)
    if args.api_key:
        extra["api_key"] = args.api_key
    fake = fake_class(mode=args.mode, host=args.host, port=args.port, **extra)
    print(f"{fake_class.__name__} on {fake.base_url} mode={args.mode!r}", flush=True)
    try:
        fake._server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        fake._server.server_close()
