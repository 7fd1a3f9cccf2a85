"""Which gunicorn worker answered which request, read from the access log (``rid=… pid=<…>``)."""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable
from typing import Any

import requests

_LINE = re.compile(r"rid=(\S+) pid=<(\d+)>")


def worker_pids(log: str) -> dict[str, int]:
    """Map request id → worker pid for every access-log line of a GunicornServer."""
    return {rid: int(pid) for rid, pid in _LINE.findall(log)}


def spread_requests(
    server: Any, send: Callable[[dict[str, str]], requests.Response], at_least: int,
    give_up_after: int = 300,
) -> list[tuple[requests.Response, int]]:
    """Send requests (a new connection each) until both workers have answered and at least
    ``at_least`` were sent; return (response, worker pid) pairs in order."""
    sent: list[tuple[str, requests.Response]] = []
    while len(sent) < give_up_after:
        rid = uuid.uuid4().hex
        sent.append((rid, send({"X-Request-ID": rid, "Connection": "close"})))
        if len(sent) >= at_least and len(sent) % 10 == 0:
            pids = worker_pids(server.log())
            if len({pids.get(r) for r, _ in sent} - {None}) >= 2:
                break
    pids = _wait_for_log_lines(server, [rid for rid, _ in sent])
    return [(response, pids[rid]) for rid, response in sent]


def _wait_for_log_lines(server: Any, rids: list[str], patience_s: float = 10) -> dict[str, int]:
    # A worker writes its access-log line just after sending the response.
    deadline = time.monotonic() + patience_s
    while True:
        pids = worker_pids(server.log())
        if all(rid in pids for rid in rids) or time.monotonic() > deadline:
            return pids
        time.sleep(0.05)
