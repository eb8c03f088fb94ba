"""How long the `zeroparty` command takes to start, as whole processes, beside baselines measured in
the same run: `python -c pass` (the interpreter alone) and `python -c "import typer"` (the command
line library alone). Target: `zeroparty --help` and every listing under 0.5 s on a quiet machine.

Every command runs `--runs` times, all of them in turn (A B C … A B C …), so a machine whose speed
drifts during the run slows each of them alike; the figures are medians. The listings read a data
folder made for the run, with several rows of everything (tests/support/cli_data.py).

Usage: python benchmarks/cli.py [--runs 15]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.support.cli_data import seed  # noqa: E402
from tests.support.processes import cli_env  # noqa: E402

from zeroparty.config import Settings  # noqa: E402

TARGET_S = 0.5
BASELINES = {
    "python -c pass": [sys.executable, "-c", "pass"],
    "python -c 'import typer'": [sys.executable, "-c", "import typer"],
}
COMMANDS = [
    ["--help"],
    ["experiences", "list"],
    ["destinations", "list"],
    ["deliveries"],
    ["deliveries", "dead"],
    ["tokens", "list"],
]


def zeroparty() -> list[str]:
    """The installed `zeroparty` command beside this interpreter, as a user runs it."""
    script = Path(sys.executable).with_name("zeroparty")
    return [str(script)] if script.exists() else [sys.executable, "-m", "zeroparty"]


def once(argv: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=60)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} exited {done.returncode}: {done.stderr.decode()}")
    return elapsed


def measure(runs: int, data_dir: Path) -> dict[str, list[float]]:
    env = cli_env(data_dir, COLUMNS="80")
    cases = dict(BASELINES) | {"zeroparty " + " ".join(args): [*zeroparty(), *args] for args in COMMANDS}
    for argv in cases.values():  # warm the file cache and the bytecode, not counted
        once(argv, env)
    times: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(runs):
        for name, argv in cases.items():
            times[name].append(once(argv, env))
    return times


def report(times: dict[str, list[float]]) -> bool:
    medians = {name: statistics.median(values) for name, values in times.items()}
    python, typer = medians["python -c pass"], medians["python -c 'import typer'"]
    print(f"{'command':<34} {'median':>9} {'min':>8} {'max':>8} {'× typer':>8} {'− python':>9}")
    for name, values in times.items():
        median = medians[name]
        print(
            f"{name:<34} {median * 1000:7.0f} ms {min(values) * 1000:5.0f} ms {max(values) * 1000:5.0f} ms "
            f"{median / typer:7.1f}× {(median - python) * 1000:6.0f} ms"
        )
    slowest = max(v for k, v in medians.items() if k.startswith("zeroparty"))
    ok = slowest < TARGET_S
    print(
        f"\nslowest zeroparty command: {slowest * 1000:.0f} ms (target < {TARGET_S * 1000:.0f} ms on a quiet machine)"
    )
    print(f"load average while measuring: {', '.join(f'{x:.2f}' for x in os.getloadavg())} on {os.cpu_count()} cores")
    return ok


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=15, help="timed runs of each command (default 15)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        data_dir = Path(folder) / "data"
        seed(Settings(data_dir=data_dir))
        ok = report(measure(args.runs, data_dir))
    print("within target" if ok else "over target (a busy machine slows every row: compare the ratios)")


if __name__ == "__main__":
    main()
