"""Polling helpers: wait for a condition with a deadline, failing with what was last seen.

Deadlines are generous on purpose: a passing test returns as soon as its condition holds, so a long
deadline costs nothing, while a short one fails a correct test on a busy machine."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def wait_for(probe: Callable[[], T], ok: Callable[[T], bool], timeout: float = 20.0, interval: float = 0.05) -> T:
    deadline = time.monotonic() + timeout
    last = probe()
    while not ok(last):
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s; last seen: {last!r}")
        time.sleep(interval)
        last = probe()
    return last
