"""The README's commands work as written: every `sh` block not marked `<!-- readme: not run (why) -->`
runs, in order, in one bash session (with `set -euo pipefail`) from the repository root, against the
demo started as `make demo` starts it. Only the port differs, so that the test can run anywhere."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.definitions import ROOT
from tests.support.processes import cli_env, server_process

README = ROOT / "README.md"
_BLOCK = re.compile(r"(?P<before>[^\n]*)\n```sh\n(?P<body>.*?)\n```", re.DOTALL)
_SKIP = re.compile(r"<!-- readme: not run \(.+\) -->")


def runnable_blocks(text: str) -> list[str]:
    return [m.group("body") for m in _BLOCK.finditer(text) if not _SKIP.fullmatch(m.group("before").strip())]


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[tuple[str, dict[str, str]]]:
    env = cli_env(tmp_path)
    with server_process(["demo"], env, tmp_path / "demo.log", ROOT) as base:
        yield base, env


def test_the_readme_marks_what_it_does_not_run_and_why() -> None:
    text = README.read_text()
    assert text.index("make demo") < 400 and "make test" in text[:600]  # the two commands come first
    blocks = runnable_blocks(text)
    assert len(blocks) >= 3
    assert any("zeroparty experiences validate" in b for b in blocks)


def test_every_readme_command_runs_as_written(demo: tuple[str, dict[str, str]]) -> None:
    base, env = demo
    if not (ROOT / ".venv" / "bin" / "activate").exists():
        pytest.fail("the README's commands use .venv: run `make test` (or `make demo`) first")
    script = "\n".join(runnable_blocks(README.read_text())).replace("http://127.0.0.1:8000", base)
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
