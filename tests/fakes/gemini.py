"""Fake Gemini API: ``POST /v1beta/models/{model}:generateContent`` answered like Google does.

Modes (see ``tests.fakes``): ``ok``; ``latency=MS``; ``status=CODE`` (Google's error JSON);
``malformed`` (invalid JSON); ``shape`` (valid JSON, wrong shape); ``block=REASON``
(``promptFeedback.blockReason``, no candidates); ``finish=REASON`` (a candidate with that
``finishReason``, e.g. IMAGE_SAFETY or NO_IMAGE); ``text_only``; ``huge`` (a ~24 MB text part
before the image); ``drop`` (close the socket without answering).

Run standalone: ``python -m tests.fakes.gemini --port 8091 [--mode ok] [--api-key KEY]``.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import uuid
from typing import Any

from tests.fakes import FakeServer, RecordedRequest, Reply, latency_of, run_cli
from tests.fakes.images import image_size, open_image, transform

DEFAULT_API_KEY = "fake-gemini-key"
PATH = re.compile(r"/v1beta/models/([A-Za-z0-9._-]+):generateContent")
MODEL_PATH = re.compile(r"/v1beta/models/([A-Za-z0-9._-]+)")
TOP_LEVEL = {
    "contents",
    "generationConfig",
    "safetySettings",
    "systemInstruction",
    "tools",
    "toolConfig",
    "cachedContent",
}
INPUT_MIMES = {"image/png", "image/jpeg", "image/webp", "image/heic", "image/heif"}
STATUS_NAMES = {
    400: "INVALID_ARGUMENT",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}
LONG_REFUSAL = ("I can't edit this photo as requested. " * 20).strip()


class WireError(Exception):
    """The request does not match the generateContent wire format."""


def google_error(code: int, message: str, reason: str | None = None) -> Reply:
    """An error in Google's JSON shape: ``{"error": {"code", "message", "status", "details"}}``."""
    error: dict[str, Any] = {
        "code": code,
        "message": message,
        "status": STATUS_NAMES.get(code, "UNKNOWN"),
    }
    if reason:
        error["details"] = [
            {
                "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                "reason": reason,
                "domain": "googleapis.com",
                "metadata": {"service": "generativelanguage.googleapis.com"},
            }
        ]
    return Reply.json(code, {"error": error})


def parse_request(body: bytes, content_type: str,
                  decode_images: bool = True) -> tuple[str, list[tuple[str, bytes]]]:
    """Validate a generateContent body; return the prompt text and the (mime, bytes) images.

    ``decode_images``: decode every inline image in full (else its header only, as a benchmark
    needs: a 24 Mpx decode in the fake would steal the CPU the gateway is measured on)."""
    if not content_type.startswith("application/json"):
        raise WireError(f"Content-Type must be application/json, got {content_type!r}")
    try:
        payload = json.loads(body)
    except ValueError:
        raise WireError("Invalid JSON payload received.") from None
    if not isinstance(payload, dict):
        raise WireError("Invalid JSON payload received. Expected an object.")
    for key in payload:
        if key not in TOP_LEVEL:
            raise WireError(
                f'Invalid JSON payload received. Unknown name "{key}": Cannot find field.'
            )
    contents = payload.get("contents")
    if not isinstance(contents, list) or not contents:
        raise WireError("* GenerateContentRequest.contents: contents is not specified")
    texts: list[str] = []
    images: list[tuple[str, bytes]] = []
    for i, content in enumerate(contents):
        if not isinstance(content, dict) or set(content) - {"role", "parts"}:
            raise WireError(f"contents[{i}] must be an object with role and parts")
        if content.get("role", "user") not in ("user", "model"):
            raise WireError(f"contents[{i}].role must be 'user' or 'model'")
        parts = content.get("parts")
        if not isinstance(parts, list) or not parts:
            raise WireError(
                f"* GenerateContentRequest.contents[{i}].parts: contents.parts must not be empty."
            )
        for j, part in enumerate(parts):
            _parse_part(part, f"contents[{i}].parts[{j}]", texts, images, decode_images)
    modalities = (payload.get("generationConfig") or {}).get("responseModalities")
    if modalities is not None and "IMAGE" not in [str(m).upper() for m in modalities]:
        raise WireError("fake: generationConfig.responseModalities must include IMAGE")
    if not "".join(texts).strip() or not images:
        raise WireError("fake: expected a text prompt and at least one image")
    return "\n".join(texts), images


def _parse_part(part: Any, where: str, texts: list[str], images: list[tuple[str, bytes]],
                decode_images: bool = True) -> None:
    # Google's JSON parser accepts proto field names in camelCase and snake_case alike, and the
    # SDK really sends {"inlineData": {"data", "mime_type"}}, so both spellings are allowed here.
    if not isinstance(part, dict) or len(part) != 1:
        raise WireError(f"{where} must hold exactly one of text / inlineData")
    ((key, value),) = part.items()
    if key == "text" and isinstance(value, str):
        texts.append(value)
        return
    if key not in ("inlineData", "inline_data") or not isinstance(value, dict):
        raise WireError(f"Invalid JSON payload received. Unknown name \"{key}\" at '{where}'")
    mime = value.get("mimeType", value.get("mime_type"))
    if set(value) - {"data", "mimeType", "mime_type"} or mime not in INPUT_MIMES:
        raise WireError(f"{where}.inline_data: unsupported MIME type {mime!r}")
    data = decode_bytes(value.get("data"))
    if data is None:
        raise WireError(
            f"Invalid value at '{where}.inline_data.data' (TYPE_BYTES), Base64 decoding failed"
        )
    if (open_image(data) if decode_images else image_size(data)) is None:
        raise WireError(
            "Unable to process input image. Please retry or report in https://developers.generativeai.google/guide/troubleshooting"
        )
    images.append((mime, data))


def decode_bytes(value: Any) -> bytes | None:
    """Decode a proto3-JSON bytes field: standard or URL-safe base64, padding optional."""
    if not isinstance(value, str) or not re.fullmatch(r"[A-Za-z0-9+/_-]*={0,2}", value):
        return None
    value = value.rstrip("=").replace("-", "+").replace("_", "/")
    try:
        return base64.b64decode(value + "=" * (-len(value) % 4), validate=True)
    except binascii.Error:
        return None


class FakeGemini(FakeServer):
    """The Gemini generateContent endpoint; answers with the first input image transformed."""

    known_modes = frozenset(
        {
            "ok",
            "latency",
            "status",
            "malformed",
            "shape",
            "block",
            "finish",
            "text_only",
            "huge",
            "drop",
        }
    )

    def __init__(self, *, api_key: str = DEFAULT_API_KEY, huge_mb: int = 24,
                 answer: bytes | None = None, decode_images: bool = True, **kwargs: Any):
        """``answer``: the PNG every successful call returns (default: the photo transformed);
        ``decode_images``: see ``parse_request``."""
        super().__init__(**kwargs)
        self.api_key = api_key
        self.huge_mb = huge_mb
        self.answer = answer
        self.decode_images = decode_images

    def handle(self, record: RecordedRequest) -> Reply:
        """Check route, key and body strictly, then answer according to the mode."""
        match = PATH.fullmatch(record.path)
        model_match = MODEL_PATH.fullmatch(record.path)
        if not (record.method == "POST" and match or record.method == "GET" and model_match):
            return google_error(404, f"Method not found: {record.method} {record.path}")
        key = record.headers.get("x-goog-api-key")
        if not key:
            return google_error(
                403,
                "Method doesn't allow unregistered callers (callers without established identity)."
                " Please use API Key or other form of API consumer identity to call this API.",
            )
        if key != self.api_key:
            return google_error(
                400, "API key not valid. Please pass a valid API key.", "API_KEY_INVALID"
            )
        if model_match:  # models.get: the model's metadata, as used by `flask providers check`
            name = f"models/{model_match.group(1)}"
            return Reply.json(200, {"name": name, "displayName": model_match.group(1)})
        try:
            prompt, images = parse_request(record.body, record.headers.get("content-type", ""),
                                           self.decode_images)
        except WireError as exc:
            return google_error(400, str(exc))
        record.info.update(model=match.group(1), prompt=prompt, images=[m for m, _ in images])
        mode = self.mode_for(record, prompt)
        reply = self._answer(mode, match.group(1), images[0][1])
        reply.latency_ms = latency_of(mode)
        return reply

    def _answer(self, mode: dict[str, str], model: str, photo: bytes) -> Reply:
        if "drop" in mode:
            return Reply(drop=True)
        if "status" in mode:
            code = int(mode["status"])
            return google_error(code, f"fake {code}: {STATUS_NAMES.get(code, 'error').lower()}")
        if "malformed" in mode:
            return Reply(200, b'{"candidates": [{"content": {"parts": [')
        if "shape" in mode:
            return Reply.json(200, {"candidates": [{"content": {"parts": "not-a-list"}}]})
        if "block" in mode:
            return Reply.json(
                200,
                _envelope(
                    model,
                    promptFeedback={
                        "blockReason": mode["block"] or "SAFETY",
                        "safetyRatings": [
                            {"category": "HARM_CATEGORY_DANGEROUS_CONTENT", "probability": "HIGH"}
                        ],
                    },
                ),
            )
        if "finish" in mode:
            candidate: dict[str, Any] = {
                "finishReason": mode["finish"] or "IMAGE_SAFETY",
                "index": 0,
            }
            if candidate["finishReason"] == "NO_IMAGE":
                candidate["content"] = {"role": "model", "parts": [{"text": "No image this time."}]}
            return Reply.json(200, _envelope(model, candidates=[candidate]))
        if "text_only" in mode:
            return Reply.json(
                200, _envelope(model, candidates=[_candidate([{"text": LONG_REFUSAL}])])
            )
        image_part = {
            "inlineData": {
                "mimeType": "image/png",
                "data": base64.b64encode(self.answer or transform(photo)).decode(),
            }
        }
        text = (
            "x" * (self.huge_mb * 1024 * 1024) if "huge" in mode else "Here is your edited photo."
        )
        return Reply.json(
            200, _envelope(model, candidates=[_candidate([{"text": text}, image_part])])
        )


def _candidate(parts: list[dict[str, Any]]) -> dict[str, Any]:
    return {"content": {"role": "model", "parts": parts}, "finishReason": "STOP", "index": 0}


def _envelope(model: str, **fields: Any) -> dict[str, Any]:
    return {
        **fields,
        "usageMetadata": {
            "promptTokenCount": 1290,
            "candidatesTokenCount": 1290,
            "totalTokenCount": 2580,
        },
        "modelVersion": model,
        "responseId": uuid.uuid4().hex[:22],
    }


if __name__ == "__main__":
    run_cli(FakeGemini)
