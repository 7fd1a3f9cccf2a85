"""Fake Turbotext API: ``POST /api_ai/{method}`` with ``do=create_queue`` / ``do=get_result``.

On ``create_queue`` the fake really downloads ``url`` (and ``url_image_target``) like Turbotext
does, logging each download in ``.downloads``; a failed download is answered with
``{"success": false, "error": ...}``. ``get_result`` answers ``{"action": "reconnect"}``
``pending`` times, then the result, whose ``uploaded_image`` is a relative path served here.

Modes (see ``tests.fakes``): ``ok``; ``latency=MS``; ``status=CODE``; ``malformed``; ``drop``;
``at=create|poll|download`` (where latency/status/malformed/drop apply, default create);
``pending=N``; ``never_ready``; ``error=TEXT`` (``success: false`` from get_result);
``result=top|data|image`` (``uploaded_image`` at top level, under ``data``, or only
``data.image[0]``); ``huge`` (the result download is padded to ``huge_mb``); ``link=URL`` (the
result link is that absolute URL, wherever it points); ``redirect=URL`` (the result download
answers 302 to URL; ``redirect=same`` to the real download on this fake).

Run standalone: ``python -m tests.fakes.turbotext --port 8092 [--mode ok] [--api-key KEY]``.
"""

from __future__ import annotations

import itertools
import threading
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

from tests.fakes import FakeServer, RecordedRequest, Reply, latency_of, run_cli
from tests.fakes.images import open_image, transform

DEFAULT_API_KEY = "fake-turbotext-key"
FORM = "application/x-www-form-urlencoded"
# method -> (required fields, optional fields), as documented at turbotext.ru/photo_ai/docs/info
METHODS: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    "generate_image2image": (
        frozenset({"url", "content"}),
        frozenset({"strength", "seed", "scale", "negative_prompt", "original_language", "user_id"}),
    ),
    "mix_images": (frozenset({"url", "url_image_target"}), frozenset({"content"})),
    "deepfake_photo": (frozenset({"url", "url_image_target"}), frozenset({"face_restore"})),
}


@dataclass
class Queue:
    """One queued generation."""

    method: str
    mode: dict[str, str]
    pending: int
    image: bytes
    token: str


class FakeTurbotext(FakeServer):
    """The Turbotext queue API plus the result downloads it points to."""

    known_modes = frozenset(
        {
            "ok",
            "latency",
            "status",
            "malformed",
            "drop",
            "at",
            "pending",
            "never_ready",
            "error",
            "result",
            "huge",
            "link",
            "redirect",
        }
    )

    def __init__(
        self, *, api_key: str = DEFAULT_API_KEY, pending: int = 2, huge_mb: int = 8, **kwargs: Any
    ):
        super().__init__(**kwargs)
        self.api_key = api_key
        self.pending = pending
        self.huge_mb = huge_mb
        self.queues: dict[int, Queue] = {}
        self.downloads: list[dict[str, Any]] = []
        self._ids = itertools.count(4201)
        self._queue_lock = threading.Lock()

    def handle(self, record: RecordedRequest) -> Reply:
        """Route: result downloads (GET) or the queue API (POST)."""
        if record.method == "GET":
            return self._serve_result(record)
        method = record.path.removeprefix("/api_ai/")
        if record.method != "POST" or method not in METHODS:
            return Reply.json(404, {"success": False, "error": "method not found"})
        if record.headers.get("authorization") != f"Bearer {self.api_key}":
            return Reply.json(
                401, {"success": False, "error": "Unauthorized: bad or missing Bearer token"}
            )
        if not record.headers.get("content-type", "").startswith(FORM):
            return Reply.json(
                400, {"success": False, "error": f"fake: Content-Type must be {FORM}"}
            )
        try:
            form = _parse_form(record.body)
        except ValueError as exc:
            return Reply.json(400, {"success": False, "error": f"fake: {exc}"})
        record.info["form"] = dict(form)
        action = form.pop("do", None)
        if action == "create_queue":
            return self._create(record, method, form)
        if action == "get_result":
            return self._result(record, method, form)
        return Reply.json(400, {"success": False, "error": f"fake: unknown do={action!r}"})

    def _create(self, record: RecordedRequest, method: str, form: dict[str, str]) -> Reply:
        mode = self.mode_for(record, form.get("content", ""))
        problem = _check_fields(method, form)
        if problem:
            return Reply.json(400, {"success": False, "error": f"fake: {problem}"})
        failure = _failure(mode, "create")
        if failure:
            return failure
        images = {
            name: self._download(name, form[name])
            for name in ("url", "url_image_target")
            if name in form
        }
        for name, image in images.items():
            if image is None:
                return _late(
                    mode,
                    "create",
                    {
                        "success": False,
                        "error": f"Не удалось загрузить изображение по ссылке {name}",
                    },
                )
        with self._queue_lock:
            queueid = next(self._ids)
            pending = int(mode.get("pending") or self.pending)
            self.queues[queueid] = Queue(
                method, mode, pending, transform(images["url"]), f"{queueid}.png"
            )
        return _late(mode, "create", {"success": True, "queueid": queueid})

    def _result(self, record: RecordedRequest, method: str, form: dict[str, str]) -> Reply:
        if set(form) != {"queueid"} or not form["queueid"].isdigit():
            return Reply.json(
                400, {"success": False, "error": "fake: get_result takes exactly queueid=<int>"}
            )
        queue = self.queues.get(int(form["queueid"]))
        if queue is None or queue.method != method:
            return Reply.json(200, {"success": False, "error": "queue not found"})
        record.mode = queue.mode
        failure = _failure(queue.mode, "poll")
        if failure:
            return failure
        with self._queue_lock:
            waiting = "never_ready" in queue.mode or queue.pending > 0
            queue.pending -= 1
        if waiting:
            return _late(queue.mode, "poll", {"action": "reconnect"})
        if "error" in queue.mode:
            return _late(
                queue.mode,
                "poll",
                {"success": False, "error": queue.mode["error"] or "generation failed"},
            )
        return _late(queue.mode, "poll", _result_payload(queue, int(form["queueid"])))

    def _serve_result(self, record: RecordedRequest) -> Reply:
        token = (
            record.query.removeprefix("f=")
            if record.path in ("/download.php", "/moved.php")
            else record.path.rsplit("_", 1)[-1]
        )
        with self._queue_lock:
            queue = next((q for q in self.queues.values() if q.token == token), None)
        if queue is None:
            return Reply(404, b"not found", "text/plain")
        record.mode = queue.mode
        if record.path == "/moved.php":
            target = queue.mode["redirect"]
            location = f"/download.php?f={token}" if target == "same" else target
            return Reply(302, b"", "text/plain", headers={"Location": location})
        failure = _failure(queue.mode, "download")
        if failure:
            return failure
        body = queue.image
        if "huge" in queue.mode:
            body += b"\0" * (self.huge_mb * 1024 * 1024)
        latency = latency_of(queue.mode) if queue.mode.get("at") == "download" else 0
        return Reply(200, body, "image/png", latency)

    def _download(self, field: str, url: str) -> bytes | None:
        """Fetch an input image the way Turbotext does; log the outcome in ``.downloads``."""
        entry: dict[str, Any] = {"field": field, "url": url, "status": None, "error": None}
        self.downloads.append(entry)
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                entry["status"] = response.status
                data = response.read()
        except urllib.error.HTTPError as exc:
            entry["status"], entry["error"] = exc.code, str(exc)
            return None
        except (urllib.error.URLError, OSError, ValueError) as exc:
            entry["error"] = str(exc)
            return None
        image = open_image(data)
        if image is None:
            entry["error"] = "not an image"
            return None
        entry["size"], entry["bytes"] = image.size, len(data)
        return data


def _parse_form(body: bytes) -> dict[str, str]:
    fields = parse_qs(body.decode(), keep_blank_values=True, strict_parsing=bool(body))
    repeated = [name for name, values in fields.items() if len(values) != 1]
    if repeated:
        raise ValueError(f"repeated fields {repeated}")
    return {name: values[0] for name, values in fields.items()}


def _check_fields(method: str, form: dict[str, str]) -> str | None:
    required, optional = METHODS[method]
    if missing := required - set(form):
        return f"missing fields {sorted(missing)}"
    if unknown := set(form) - required - optional:
        return f"unknown fields {sorted(unknown)}"
    if not all(
        form[name].startswith(("http://", "https://"))
        for name in ("url", "url_image_target")
        if name in form
    ):
        return "url fields must be absolute http(s) URLs"
    checks = {
        "strength": lambda v: v.isdigit() and 0 <= int(v) <= 80,
        "seed": lambda v: v.isdigit() and 1 <= int(v) <= 10**10,
        "scale": lambda v: _is_float(v) and 0.1 <= float(v) <= 20,
        "face_restore": lambda v: v in ("True", "False"),
        "content": lambda v: bool(v.strip()) or method != "generate_image2image",
    }
    bad = [name for name, check in checks.items() if name in form and not check(form[name])]
    return f"invalid values for {bad}" if bad else None


def _is_float(value: str) -> bool:
    try:
        float(value)
    except ValueError:
        return False
    return True


def _failure(mode: dict[str, str], stage: str) -> Reply | None:
    """The scripted failure for this stage, if the mode has one."""
    if mode.get("at", "create") != stage:
        return None
    latency = latency_of(mode)
    if "drop" in mode:
        return Reply(drop=True, latency_ms=latency)
    if "status" in mode:
        code = int(mode["status"])
        return Reply(
            code, f"<html><body><h1>{code}</h1></body></html>".encode(), "text/html", latency
        )
    if "malformed" in mode:
        return Reply(200, b'{"success": true, "queueid": ', latency_ms=latency)
    return None


def _late(mode: dict[str, str], stage: str, payload: dict[str, Any]) -> Reply:
    """A JSON answer delayed by ``latency`` when the mode's stage is this one."""
    reply = Reply.json(200, payload)
    if mode.get("at", "create") == stage:
        reply.latency_ms = latency_of(mode)
    return reply


def _result_payload(queue: Queue, queueid: int) -> dict[str, Any]:
    """A finished get_result answer shaped like Turbotext's documented examples."""
    uploaded = f"/download.php?f={queue.token}"
    if "link" in queue.mode:
        uploaded = queue.mode["link"]
    elif "redirect" in queue.mode:
        uploaded = f"/moved.php?f={queue.token}"
    data: dict[str, Any] = {"width": 64, "height": 48, "seed": 5443937701, "strength": 50}
    variant = queue.mode.get("result", "top")
    if variant == "image" or queue.method in ("generate_image2image", "deepfake_photo"):
        data["image"] = [f"image/{queue.method}_id12_{queue.token}"]
    if variant == "image":
        return {"success": True, "error": "", "data": data}
    if variant == "data":
        return {"success": True, "error": "", "data": {**data, "uploaded_image": uploaded}}
    return {"success": True, "error": "", "data": data, "uploaded_image": uploaded}


if __name__ == "__main__":
    run_cli(FakeTurbotext)
