"""The README's commands work as written: every `sh` block not marked `<!-- readme: not run (why) -->`
runs, in order, in one bash session (with `set -euo pipefail`) from the repository root, against the
demo started as `make demo` starts it. Only the port differs, so that the test can run anywhere."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.definitions import ROOT
from tests.support.processes import cli_env, free_port
from tests.support.waiting import wait_for

README = ROOT / "README.md"
_BLOCK = re.compile(r"(?P<before>[^\n]*)\n```sh\n(?P<body>.*?)\n```", re.DOTALL)
_SKIP = re.compile(r"<!-- readme: not run \(.+\) -->")


def runnable_blocks(text: str) -> list[str]:
    return [m.group("body") for m in _BLOCK.finditer(text) if not _SKIP.fullmatch(m.group("before").strip())]


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[tuple[int, dict[str, str]]]:
    port = free_port()
    env = cli_env(tmp_path)
    with (tmp_path / "demo.log").open("w") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "zeroparty", "demo", "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            wait_for(lambda: _healthy(port) or proc.poll() is not None, bool, timeout=30)
            assert proc.poll() is None, (tmp_path / "demo.log").read_text()
            yield port, env
        finally:
            proc.terminate()
            proc.wait(timeout=20)


def _healthy(port: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200
    except httpx.TransportError:
        return False


def test_the_readme_marks_what_it_does_not_run_and_why() -> None:
    text = README.read_text()
    assert text.index("make demo") < 400 and "make test" in text[:600]  # the two commands come first
    blocks = runnable_blocks(text)
    assert len(blocks) >= 3
    assert any("zeroparty experiences validate" in b for b in blocks)


def test_every_readme_command_runs_as_written(demo: tuple[int, dict[str, str]]) -> None:
    port, env = demo
    if not (ROOT / ".venv" / "bin" / "activate").exists():
        pytest.fail("the README's commands use .venv: run `make test` (or `make demo`) first")
    script = "\n".join(runnable_blocks(README.read_text())).replace("127.0.0.1:8000", f"127.0.0.1:{port}")
    done = subprocess.run(
        ["bash", "-c", "set -euo pipefail\n" + script],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, f"stdout:\n{done.stdout}\nstderr:\n{done.stderr}"
    assert "valid (" in done.stdout and '"outcome":"hydration_boost"' in done.stdout
    assert "quickstart" in done.stdout  # `tokens list` shows the token made above
