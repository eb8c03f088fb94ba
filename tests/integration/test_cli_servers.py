"""`serve` and `demo` as a user starts them: real processes on real ports."""

from __future__ import annotations

import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from tests.support.definitions import ROOT
from tests.support.processes import cli_env, free_port
from tests.support.waiting import wait_for


def _env(data_dir: Path) -> dict[str, str]:
    return cli_env(data_dir, COLUMNS="250")  # tables unwrapped, so endpoints read whole


def _up(port: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200
    except httpx.TransportError:
        return False


@contextmanager
def running(data_dir: Path, *args: str, port: int) -> Iterator[None]:
    with (data_dir.parent / f"{data_dir.name}-{port}.log").open("w") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "zeroparty", *args, "--port", str(port)],
            cwd=ROOT,
            env=_env(data_dir),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            wait_for(lambda: _up(port) or proc.poll() is not None, bool, timeout=30)
            assert proc.poll() is None, (data_dir.parent / f"{data_dir.name}-{port}.log").read_text()
            yield
        finally:
            proc.terminate()
            proc.wait(timeout=20)


def _cli(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "zeroparty", *args], cwd=ROOT, env=_env(data_dir), capture_output=True, text=True
    )


def test_a_taken_port_fails_the_demo_clearly_and_changes_nothing(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = _cli(data, "demo", "--port", str(port))
    assert done.returncode == 1
    assert f"port {port} on 127.0.0.1 is already in use" in done.stderr
    assert "Experience:" not in done.stdout  # no banner for a demo that is not running
    assert not data.exists()  # nothing was created, so nothing can point at the failed port


def test_the_demo_destination_follows_the_port_it_serves_on(tmp_path: Path) -> None:
    first, second = free_port(), free_port()
    with running(tmp_path, "demo", port=first):
        pass
    with running(tmp_path, "demo", port=second):
        listed = _cli(tmp_path, "destinations", "list").stdout
    assert f"http://127.0.0.1:{second}/braze-sandbox" in listed
    assert f":{first}/" not in listed


def test_serve_mounts_no_sandbox_unless_asked(tmp_path: Path) -> None:
    port = free_port()
    with running(tmp_path, "serve", port=port):
        assert httpx.get(f"http://127.0.0.1:{port}/braze-sandbox/_sandbox/ui/login").status_code == 404
    port = free_port()
    with running(tmp_path, "serve", "--sandbox", port=port):
        assert httpx.get(f"http://127.0.0.1:{port}/braze-sandbox/_sandbox/ui/login").status_code == 200
