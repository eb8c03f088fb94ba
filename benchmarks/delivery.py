"""Capture and delivery figures on this machine, against the built-in sandbox over loopback.

Prints, each with a baseline measured in the same run:
- capture: JSON-API responses recorded per second, against bare HTTP round trips (GET /healthz);
- trickle latency: commit → delivered for responses sent one at a time (the worker is woken by
  the commit, so this should be a few milliseconds, far below the 1 s idle poll);
- backlog drain: items per second when a held backlog is released, against posting the very
  same batches straight to the sandbox (the engine's overhead over the bare transport).

Usage: python benchmarks/delivery.py [--responses N] [--backlog N]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.support.stack import SANDBOX_KEY, running_stack  # noqa: E402

from zeroparty.adapters.db.schema import outbox  # noqa: E402
from zeroparty.bootstrap import build_worker  # noqa: E402
from zeroparty.domain.braze_payload import Change, coalesce, plan_delivery, render  # noqa: E402
from zeroparty.domain.destination_settings import DestinationSettings  # noqa: E402

URL = "/api/v1/experiences/skin-quiz/responses"


def body(i: int) -> dict[str, Any]:
    return {
        "answers": {"skin_type": "dry", "skin_goals": ["hydration"], "routine_length": "short"},
        "inputs": {"email": f"bench{i:06d}@example.com", "first_name": "Bench", "marketing_opt_in": True},
    }


def rate(n: int, seconds: float) -> float:
    return n / seconds if seconds > 0 else float("inf")


def capture_and_trickle(n: int) -> None:
    with (
        tempfile.TemporaryDirectory() as tmp,
        running_stack(Path(tmp)) as stack,
        httpx.Client(base_url=stack.base) as c,
    ):
        c.get("/healthz")
        t = time.perf_counter()
        for _ in range(n):
            c.get("/healthz")
        base_rps = rate(n, time.perf_counter() - t)
        t = time.perf_counter()
        for i in range(n):
            assert c.post(URL, json=body(i)).status_code == 201
            # one at a time: wait for delivery so each response is a trickle of one
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline:
                with stack.rt.engine.connect() as conn:
                    if conn.execute(sa.select(sa.func.count()).where(outbox.c.state == "delivered")).scalar_one() > i:
                        break
                time.sleep(0.001)
        total = time.perf_counter() - t
        with stack.rt.engine.connect() as conn:
            rows = conn.execute(sa.select(outbox.c.created_at, outbox.c.delivered_at)).all()
        lat = sorted((r.delivered_at - r.created_at).total_seconds() * 1000 for r in rows)
        print(
            f"capture+deliver, one at a time: {rate(n, total):8.1f} responses/s  "
            f"(bare GET round trips: {base_rps:8.1f}/s)"
        )
        print(
            f"trickle latency commit→delivered: p50 {statistics.median(lat):6.1f} ms  "
            f"p95 {lat[int(len(lat) * 0.95) - 1]:6.1f} ms  max {lat[-1]:6.1f} ms  (n={n})"
        )


def backlog(n: int) -> None:
    with tempfile.TemporaryDirectory() as tmp, running_stack(Path(tmp), worker=False) as stack:
        with httpx.Client(base_url=stack.base) as c:
            t = time.perf_counter()
            for i in range(n):
                assert c.post(URL, json=body(i)).status_code == 201
            print(f"capture only (delivery held):   {rate(n, time.perf_counter() - t):8.1f} responses/s")
        # Baseline: the same batches posted straight to the sandbox, no outbox, no acks.
        objs = coalesce(Change(str(i), f"base{i:06d}@example.com", {"skin_type": "dry"}) for i in range(n))
        batches = plan_delivery([render(o, DestinationSettings(), {}) for o in objs]).batches
        headers = {"Authorization": f"Bearer {SANDBOX_KEY}"}
        with httpx.Client() as c:
            t = time.perf_counter()
            for b in batches:
                assert c.post(stack.sandbox + "/users/track", json=b.body(), headers=headers).status_code == 201
            direct = rate(n, time.perf_counter() - t)
        engine, client = build_worker(stack.rt)

        async def drain() -> float:
            t0 = time.perf_counter()
            while await engine.drain_once():
                pass
            await client.aclose()
            return time.perf_counter() - t0

        took = asyncio.run(drain())
        with stack.rt.engine.connect() as conn:
            done = conn.execute(sa.select(sa.func.count()).where(outbox.c.state == "delivered")).scalar_one()
        assert done == n, done
        engine_rate = rate(n, took)
        print(
            f"backlog drain ({n} items, {len(batches)} requests): {engine_rate:8.1f} items/s; "
            f"direct POST of the same batches: {direct:8.1f} items/s; ratio {engine_rate / direct:5.2f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--responses", type=int, default=200)
    parser.add_argument("--backlog", type=int, default=3000)
    args = parser.parse_args()
    print(f"zeroparty delivery benchmark, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC")
    capture_and_trickle(args.responses)
    backlog(args.backlog)


if __name__ == "__main__":
    main()
