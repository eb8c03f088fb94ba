"""`serve` and `demo` as a user starts them: real processes on real ports."""

from __future__ import annotations

import json
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
from zeroparty.domain.consent_groups import demo_group


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
    groups = json.loads(_cli(tmp_path, "destinations", "list", "--json").stdout)[0]["settings"]["subscription_groups"]
    with running(tmp_path, "demo", port=second):
        listed = _cli(tmp_path, "destinations", "list")
        sent = _vip_signup_groups(f"http://127.0.0.1:{second}", (tmp_path / "sandbox.key").read_text())
    assert sent == [
        {"subscription_group_id": groups["newsletter"]["id"], "subscription_state": "subscribed"},
        {"subscription_group_id": groups["sms_offers"]["id"], "subscription_state": "unsubscribed"},
    ]
    assert f"http://127.0.0.1:{second}/braze-sandbox" in listed.stdout
    assert f":{first}/" not in listed.stdout
    # The samples' consent boxes reach the sandbox: each key maps to a group, the same on every run.
    assert listed.stderr == ""
    assert groups == {key: demo_group(key).model_dump() for key in ("newsletter", "sms_offers")}
    again = json.loads(_cli(tmp_path, "destinations", "list", "--json").stdout)[0]["settings"]["subscription_groups"]
    assert again == groups and groups["sms_offers"]["channel"] == "sms"


def _vip_signup_groups(base: str, sandbox_key: str) -> list[dict[str, str]]:
    """Sign up to the demo's VIP club with both consent boxes ticked; the subscription groups the
    sandbox then receives."""
    inputs = {"email": "vic@example.com", "newsletter": True, "no_texts": True}
    assert httpx.post(f"{base}/api/v1/experiences/vip-signup/responses", json={"inputs": inputs}).status_code == 201

    def tracked() -> list[dict[str, str]]:
        r = httpx.get(
            f"{base}/braze-sandbox/_sandbox/requests",
            params={"path": "/users/track"},
            headers={"Authorization": f"Bearer {sandbox_key}"},
        )
        bodies = [e["request_body"] for e in r.json()["requests"]]
        return [g for b in bodies for a in b.get("attributes", []) for g in a.get("subscription_groups", [])]

    return wait_for(tracked, bool, timeout=20)


def test_serve_mounts_no_sandbox_unless_asked(tmp_path: Path) -> None:
    port = free_port()
    with running(tmp_path, "serve", port=port):
        assert httpx.get(f"http://127.0.0.1:{port}/braze-sandbox/_sandbox/ui/login").status_code == 404
    port = free_port()
    with running(tmp_path, "serve", "--sandbox", port=port):
        assert httpx.get(f"http://127.0.0.1:{port}/braze-sandbox/_sandbox/ui/login").status_code == 200
