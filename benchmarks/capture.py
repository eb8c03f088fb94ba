"""Capture figures on this machine, each beside a baseline measured in the same run.

A `zeroparty serve` process (SQLite, its in-process delivery worker sending to benchmarks/sink.py,
itself a process of its own) is loaded by `--clients` concurrent clients over loopback HTTP:

1. baseline: `GET /healthz` requests/s, what the server answers when it does no work;
2. JSON API: whole responses/s (`POST /api/v1/experiences/skin-quiz/responses`), their ratio to
   the baseline (target ≥ 0.3×) and p99 latency (target < 250 ms);
3. hosted page: screen submits/s (form posts through the four screens of the sample experience,
   redirects not followed: the next screen's view is not a submit), ratio and p99, same targets.

Each step runs for `--seconds` (bounded by a request count too) and also reports the server's CPU
time per request; then the server is checked to have stored every acknowledged response, the
worker to have delivered them, and the analytics log to hold each completion. Absolute figures
move with whatever else runs on the machine; the ratios and the CPU per request much less.

Usage: python benchmarks/capture.py [--clients 16] [--seconds 10] [--delay-ms 20] [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.support.definitions import sample  # noqa: E402
from tests.support.processes import cli_env, serving  # noqa: E402

from zeroparty.adapters.db.engine import reader  # noqa: E402
from zeroparty.adapters.db.schema import analytics_events, outbox, responses  # noqa: E402
from zeroparty.bootstrap import open_runtime  # noqa: E402
from zeroparty.config import Settings  # noqa: E402
from zeroparty.domain.destination_settings import DestinationSettings  # noqa: E402
from zeroparty.domain.experience.funnel import EventKind  # noqa: E402

KEY = "bench-key-0123456789"
SLUG = "skin-quiz"
RATIO_TARGET = 0.3
P99_TARGET_MS = 250.0
MAX_REQUESTS = 200_000  # a bound on any one step, whatever the duration


@contextmanager
def server(data_dir: Path, sink_url: str) -> Iterator[str]:
    """`zeroparty serve` on a fresh SQLite store holding the sample experience and one destination
    (the sink); set up here, then served by its own process."""
    rt = open_runtime(Settings(data_dir=data_dir))
    rt.experiences.publish(sample(), datetime.now(UTC))
    settings = DestinationSettings(max_in_flight=8, requests_per_second=1000)
    rt.destinations.add_braze("bench", sink_url, KEY, datetime.now(UTC), settings=settings)
    rt.engine.dispose()
    env = cli_env(data_dir, ZEROPARTY_LOG_LEVEL="WARNING")
    with serving([sys.executable, "-m", "zeroparty", "serve", "--host", "127.0.0.1", "--port", "0"], env) as base:
        yield base


@dataclass
class Step:
    done: int
    seconds: float
    latencies_ms: list[float]

    @property
    def rate(self) -> float:
        return self.done / self.seconds

    @property
    def p99_ms(self) -> float:
        lat = sorted(self.latencies_ms)
        return lat[max(0, int(len(lat) * 0.99) - 1)] if lat else float("nan")


# One client's work: a coroutine that does some requests and records each one's latency.
Work = Callable[[httpx.AsyncClient, int, list[float]], Awaitable[int]]


async def load(base: str, clients: int, seconds: float, work: Work) -> Step:
    """`clients` concurrent clients, each on its own kept-alive connection, repeating `work` for
    `seconds`; requests done, time taken and every request's latency. The clients are made before
    the clock starts: making one costs tens of milliseconds of CPU (its TLS context)."""
    latencies: list[float] = []
    counter = 0
    ready, go = 0, asyncio.Event()
    t0 = deadline = 0.0

    async def one() -> int:
        nonlocal counter, ready, t0, deadline
        done = 0
        limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
        async with httpx.AsyncClient(base_url=base, limits=limits, timeout=60) as client:
            ready += 1
            if ready == clients:
                t0 = time.perf_counter()
                deadline = t0 + seconds
                go.set()
            await go.wait()
            while time.perf_counter() < deadline and counter < MAX_REQUESTS:
                counter += 1
                done += await work(client, counter, latencies)
        return done

    done = sum(await asyncio.gather(*(one() for _ in range(clients))))
    return Step(done, time.perf_counter() - t0, latencies)


async def timed(latencies: list[float], request: Awaitable[httpx.Response], expect: int) -> httpx.Response:
    t = time.perf_counter()
    r = await request
    latencies.append((time.perf_counter() - t) * 1000)
    if r.status_code != expect:
        raise RuntimeError(f"{r.request.method} {r.request.url.path}: {r.status_code} {r.text[:300]}")
    return r


async def healthz(client: httpx.AsyncClient, _n: int, lat: list[float]) -> int:
    await timed(lat, client.get("/healthz"), 200)
    return 1


async def api_response(client: httpx.AsyncClient, n: int, lat: list[float]) -> int:
    body = {
        "answers": {"skin_type": "dry", "skin_goals": ["hydration"], "routine_length": "short"},
        "inputs": {"email": f"api{n:07d}@example.com", "first_name": "Bench", "marketing_opt_in": True},
    }
    await timed(lat, client.post(f"/api/v1/experiences/{SLUG}/responses", json=body), 201)
    return 1


async def page_submits(client: httpx.AsyncClient, n: int, lat: list[float]) -> int:
    """One respondent through the four screens: four form posts, each answered by a 303."""
    forms: list[dict[str, str | list[str]]] = [
        {"skin_type": "oily"},
        {"skin_goals": ["breakouts", "hydration"]},
        {"routine_length": "long"},
        {"email": f"page{n:07d}@example.com", "first_name": "Bench", "marketing_opt_in": "on"},
    ]
    url = f"/e/{SLUG}"
    for form in forms:
        r = await timed(lat, client.post(url, data=form), 303)
        url = r.headers["location"]
    return len(forms)


def server_cpu_s() -> float | None:
    """CPU seconds used so far by the `zeroparty serve` child of this process (Linux), else None."""
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            cmdline = (stat.parent / "cmdline").read_bytes()
        except OSError:
            continue
        if int(fields[1]) == os.getpid() and b"serve" in cmdline.split(b"\0"):
            return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return None


def measured(base: str, clients: int, seconds: float, work: Work) -> tuple[Step, float | None]:
    """`load`, and the server's CPU time per request meanwhile (ms), where it can be read."""
    before = server_cpu_s()
    step = asyncio.run(load(base, clients, seconds, work))
    after = server_cpu_s()
    return step, None if before is None or after is None else (after - before) * 1000 / len(step.latencies_ms)


def stored(data_dir: Path) -> tuple[int, int, int, int]:
    """(responses, completed responses, delivered outbox rows, completion events in the analytics
    log) in the server's store."""
    engine = sa.create_engine(f"sqlite:///{data_dir / 'zeroparty.db'}")
    completions = sa.select(sa.func.count()).where(analytics_events.c.kind == EventKind.COMPLETE.value)
    try:
        with reader(engine).connect() as conn:
            return (
                conn.execute(sa.select(sa.func.count()).select_from(responses)).scalar_one(),
                conn.execute(sa.select(sa.func.count()).where(responses.c.completed_at.is_not(None))).scalar_one(),
                conn.execute(sa.select(sa.func.count()).where(outbox.c.state == "delivered")).scalar_one(),
                conn.execute(completions).scalar_one(),
            )
    finally:
        engine.dispose()


def delivered_all(data_dir: Path, completed: int, timeout: float = 120) -> float:
    """Wait until every completed response's outbox row is delivered and its completion is in the
    analytics log (written in batches, apart from the response's transaction); seconds waited."""
    t0 = time.monotonic()
    while min(stored(data_dir)[2:]) < completed:
        if time.monotonic() - t0 > timeout:
            raise RuntimeError(f"delivery did not catch up: {stored(data_dir)}")
        time.sleep(0.2)
    return time.monotonic() - t0


def verdict(ok: bool) -> str:
    return "met" if ok else "NOT met"


def report(name: str, unit: str, step: Step, base: Step, cpu_ms: float | None) -> None:
    ratio = step.rate / base.rate
    print(
        f"{name}: {step.rate:8.0f} {unit}/s vs /healthz {base.rate:6.0f}/s = {ratio:5.3f}x "
        f"(target >= {RATIO_TARGET}x, {verdict(ratio >= RATIO_TARGET)}); "
        f"p99 {step.p99_ms:6.1f} ms (target < {P99_TARGET_MS:g} ms, {verdict(step.p99_ms < P99_TARGET_MS)})"
        + cpu_note(cpu_ms)
    )


def cpu_note(cpu_ms: float | None) -> str:
    return "" if cpu_ms is None else f"; server CPU {cpu_ms:.2f} ms per request"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--delay-ms", type=float, default=20.0, help="the sink's answer delay")
    parser.add_argument("--quick", action="store_true", help="a short smoke run")
    args = parser.parse_args()
    seconds = 1.0 if args.quick else args.seconds
    sink_args = [sys.executable, str(ROOT / "benchmarks" / "sink.py"), str(args.delay_ms)]
    print(f"zeroparty capture benchmark, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} cores")
    print(f"{args.clients} clients, {seconds:g} s per step; SQLite, synchronous=FULL; delivery to a sink "
          f"answering after {args.delay_ms:g} ms")  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp, serving(sink_args) as sink_url, server(Path(tmp), sink_url) as base:
        asyncio.run(load(base, args.clients, min(seconds / 2, 1.0), healthz))  # warm up
        base_step, cpu = measured(base, args.clients, seconds, healthz)
        print(f"/healthz: {base_step.rate:8.0f} requests/s, p99 {base_step.p99_ms:6.1f} ms" + cpu_note(cpu))
        api, cpu = measured(base, args.clients, seconds, api_response)
        report("JSON API", "responses", api, base_step, cpu)
        pages, cpu = measured(base, args.clients, seconds, page_submits)
        report("hosted page", "submits", pages, base_step, cpu)
        total, completed, _, _ = stored(Path(tmp))
        expected = api.done + pages.done // 4
        if completed != expected:
            raise RuntimeError(f"{expected} responses were acknowledged as complete but {completed} are stored")
        waited = delivered_all(Path(tmp), completed)
        print(
            f"stored {total} responses, {completed} complete; all delivered, and each completion in the "
            f"analytics log, {waited:.1f} s after the load ended"
        )


if __name__ == "__main__":
    main()
