"""How long a booth upload that stalls (or trickles) waits for its answer.

Talks raw HTTP to a running PhotoSlot (started the README's way, e.g. with
``PHOTOSLOT_T_SYNC_RESPONSE_S=4``): sends the request head, the ``password`` field and the first
``--sent`` bytes of a photo, then either stops sending (``--mode stall``) or sends one byte every
``--every`` seconds (``--mode trickle``). Prints the status line of the answer and the seconds it
took from the first byte sent, or that no answer came within ``--give-up`` seconds. Nothing is
asserted.

    .venv/bin/python bench/stalled_upload.py --url http://127.0.0.1:8000/api/ingest/slot-001 \\
        --password <ingest password> [--mode stall|trickle] [--give-up 20]
"""

from __future__ import annotations

import argparse
import io
import socket
import time
from urllib.parse import urlsplit

from PIL import Image

BOUNDARY = "----------------------stall0123456789"


def photo(size: tuple[int, int] = (1200, 900)) -> bytes:
    """A real JPEG of a few hundred kB."""
    image = Image.effect_noise(size, 64).convert("RGB")
    out = io.BytesIO()
    image.save(out, "JPEG", quality=95)
    return out.getvalue()


def body(password: str, data: bytes) -> bytes:
    return (f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"password\"\r\n\r\n"
            f"{password}\r\n--{BOUNDARY}\r\nContent-Disposition: form-data; "
            f"name=\"fileToUpload\"; filename=\"IMG.JPG\"\r\nContent-Type: image/jpeg\r\n\r\n"
            ).encode() + data + f"\r\n--{BOUNDARY}--\r\n".encode()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--password", required=True)
    parser.add_argument("--mode", choices=("stall", "trickle"), default="stall")
    parser.add_argument("--sent", type=int, default=1000, help="photo bytes sent before stalling")
    parser.add_argument("--every", type=float, default=0.5, help="trickle: seconds per byte")
    parser.add_argument("--give-up", type=float, default=20.0)
    args = parser.parse_args()

    url = urlsplit(args.url)
    payload = body(args.password, photo())
    head_end = payload.index(b"\r\n\r\n", payload.index(b"fileToUpload")) + 4
    first = payload[: head_end + args.sent]
    head = (f"POST {url.path} HTTP/1.1\r\nHost: {url.netloc}\r\n"
            f"Content-Type: multipart/form-data; boundary={BOUNDARY}\r\n"
            f"Content-Length: {len(payload)}\r\n\r\n").encode()
    with socket.create_connection((url.hostname, url.port or 80)) as sock:
        started = time.monotonic()
        sock.sendall(head + first)
        rest = payload[len(first):]
        answer = b""
        while time.monotonic() - started < args.give_up:
            wait = args.every if args.mode == "trickle" else args.give_up
            sock.settimeout(max(0.01, min(wait, args.give_up - (time.monotonic() - started))))
            try:
                answer = sock.recv(4096)
                break
            except TimeoutError:
                if args.mode == "trickle" and rest:
                    sock.sendall(rest[:1])
                    rest = rest[1:]
        elapsed = time.monotonic() - started
    if answer:
        status = answer.split(b"\r\n", 1)[0].decode("latin-1")
        print(f"{args.mode}: answered after {elapsed:.2f} s: {status}")
        print(answer.split(b"\r\n\r\n", 1)[-1][:300].decode("utf-8", "replace"))
    else:
        print(f"{args.mode}: no answer after {elapsed:.2f} s")


if __name__ == "__main__":
    main()
