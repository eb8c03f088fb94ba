"""Instructions the delivery worker spends per update, counted by callgrind: a figure that does not
move with whatever else runs on the machine, unlike the timings of benchmarks/delivery.py.

The real engine runs over the real SQLite outbox, with a sender that answers 201 at once (no HTTP:
benchmarks/delivery.py measures that part), and callgrind counts only while it delivers. The
baseline, counted in the same run, is the least any worker must do per update: render the same
update as Braze's JSON with the standard library and nothing else. The ratio is how many times
that the worker costs.

Usage: python benchmarks/delivery_instructions.py [--updates 3000]
Needs valgrind (`apt-get install valgrind`); runs itself under `valgrind --tool=callgrind`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
BODY = {"email": "t000001@example.com", "skin_type": "dry", "first_name": "Bench"}


def _counting(on: bool) -> None:
    state = "on" if on else "off"
    subprocess.run(["callgrind_control", "-i", state, str(os.getpid())], check=True, capture_output=True)


def _worker(updates: int) -> None:
    from benchmarks import delivery as bench

    from zeroparty.delivery.engine import DeliveryEngine, EngineSettings
    from zeroparty.delivery.ports import SendResult

    class Instant:
        seen = 0

        async def post_track(self, endpoint: str, api_key: str, body: dict[str, Any]) -> SendResult:
            await asyncio.sleep(0)
            Instant.seen += len(body.get("attributes", []))
            return SendResult(201, {}, {"message": "success"})

        async def post_identify(self, *args: Any) -> SendResult:
            raise AssertionError("the benchmark's destination identifies by email")

    with bench.world("http://127.0.0.1:9", 8) as w:
        bench.queue_users(w, "i", updates)
        engine = DeliveryEngine(w.rt.outbox, Instant(), EngineSettings(batch_window_s=0.0))

        async def main() -> None:
            stop = asyncio.Event()
            _counting(True)
            task = asyncio.create_task(engine.run(stop))
            while Instant.seen < updates:
                await asyncio.sleep(0.01)
            await engine.finish()
            _counting(False)
            stop.set()
            await task

        asyncio.run(main())
        assert bench.delivered(w) == updates, "every update must be delivered"


def _baseline(updates: int) -> None:
    bodies = [dict(BODY, email=f"b{i:06d}@example.com") for i in range(updates)]
    _counting(True)
    for start in range(0, updates, 75):
        json.dumps({"attributes": bodies[start : start + 75]}, separators=(",", ":"), ensure_ascii=False).encode()
    _counting(False)


def _count(part: str, updates: int) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "callgrind.out"
        cmd = ["valgrind", "--tool=callgrind", "--instr-atstart=no", f"--callgrind-out-file={out}",
               sys.executable, __file__, "--part", part, "--updates", str(updates)]  # fmt: skip
        done = subprocess.run(cmd, capture_output=True, text=True, check=False)
        found = re.search(r"Collected : ([0-9]+)", done.stderr)
        if done.returncode != 0 or found is None:
            raise RuntimeError(f"the {part} run failed:\n{done.stdout}\n{done.stderr[-3000:]}")
        return int(found.group(1))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--updates", type=int, default=3000)
    parser.add_argument("--part", choices=["worker", "baseline"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.part == "worker":
        return _worker(args.updates)
    if args.part == "baseline":
        return _baseline(args.updates)
    worker = _count("worker", args.updates) / args.updates
    baseline = _count("baseline", args.updates) / args.updates
    print(f"delivery instructions per update ({args.updates:,} updates, callgrind)")
    print(f"worker:   {worker:10,.0f}  (claim, render, pack, plan, settle; SQLite included; no HTTP)")
    print(f"baseline: {baseline:10,.0f}  (the same updates as Braze's JSON, standard library)")
    print(f"ratio:    {worker / baseline:10.1f}x")
    return None


if __name__ == "__main__":
    main()
