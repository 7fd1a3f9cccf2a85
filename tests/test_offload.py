"""CPU-bound work off the event loop: other greenlets keep running while it computes."""

from __future__ import annotations

import time

import gevent
import pytest
from PIL import Image, ImageFilter

from photoslot.offload import off_loop
from photoslot.passwords import hash_password, verify_password


def heavy_blur() -> None:
    """Pillow work of a few hundred ms that runs in C with the GIL released."""
    Image.new("RGB", (2500, 2500), "red").filter(ImageFilter.GaussianBlur(30))


def ticks_during(work) -> tuple[list[float], float, float]:
    """Run ``work`` in one greenlet while another records timestamps every 10 ms."""
    ticks: list[float] = []

    def ticker() -> None:
        while True:
            ticks.append(time.monotonic())
            gevent.sleep(0.01)

    def timed() -> tuple[float, float]:
        gevent.sleep(0.05)  # let the ticker start first
        started = time.monotonic()
        work()
        return started, time.monotonic()

    tick = gevent.spawn(ticker)
    job = gevent.spawn(timed)
    started, ended = job.get()
    tick.kill()
    return ticks, started, ended


def test_offloaded_pillow_work_lets_other_greenlets_run():
    ticks, started, ended = ticks_during(lambda: off_loop(heavy_blur))
    inside = [t for t in ticks if started < t < ended]
    assert len(inside) >= 3, "the event loop stalled while Pillow worked"


def test_inline_pillow_work_would_stall_them_which_is_why_we_offload():
    ticks, started, ended = ticks_during(heavy_blur)
    assert [t for t in ticks if started < t < ended] == []


def test_offloaded_errors_propagate_and_password_checks_still_work():
    password_hash = hash_password("correct horse battery")
    assert verify_password(password_hash, "correct horse battery")
    assert not verify_password(password_hash, "wrong")
    with pytest.raises(ValueError):
        off_loop(int, "not a number")
