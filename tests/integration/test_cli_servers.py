"""`serve` and `demo` as a user starts them: real processes on real ports."""

from __future__ import annotations

import asyncio
import json
import re
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from tests.support.definitions import ROOT
from tests.support.processes import cli_env, reported_url, server_process, stop
from tests.support.waiting import wait_for
from zeroparty.bootstrap import account_service, open_store
from zeroparty.config import Settings
from zeroparty.domain.consent_groups import demo_group
from zeroparty.domain.roles import Role


def _env(data_dir: Path) -> dict[str, str]:
    return cli_env(data_dir, COLUMNS="250")  # tables unwrapped, so endpoints read whole


@contextmanager
def running(data_dir: Path, *args: str) -> Iterator[str]:
    """The server command `args` on a port of its choosing; yields its base URL."""
    with server_process(list(args), _env(data_dir), data_dir.parent / f"{data_dir.name}-{args[0]}.log", ROOT) as base:
        yield base


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
    with running(tmp_path, "demo") as first:
        pass
    groups = json.loads(_cli(tmp_path, "destinations", "list", "--json").stdout)[0]["settings"]["subscription_groups"]
    with running(tmp_path, "demo") as second:
        listed = _cli(tmp_path, "destinations", "list")
        sent = _vip_signup_groups(second, (tmp_path / "sandbox.key").read_text())
    assert sent == [
        {"subscription_group_id": groups["newsletter"]["id"], "subscription_state": "subscribed"},
        {"subscription_group_id": groups["sms_offers"]["id"], "subscription_state": "unsubscribed"},
    ]
    assert f"{second}/braze-sandbox" in listed.stdout
    assert f"{first}/" not in listed.stdout
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
    with running(tmp_path, "serve") as base:
        assert httpx.get(f"{base}/braze-sandbox/_sandbox/ui/login").status_code == 404
    # Started on port 0, it says which port it got, and that it listens there.
    assert f"Listening on {base}  (Ctrl-C stops)" in (tmp_path.parent / f"{tmp_path.name}-serve.log").read_text()
    assert "warning: data folder" not in (tmp_path.parent / f"{tmp_path.name}-serve.log").read_text()
    tmp_path.chmod(0o755)  # an existing folder keeps its mode: serve says so
    with running(tmp_path, "serve", "--sandbox") as base:
        assert httpx.get(f"{base}/braze-sandbox/_sandbox/ui/login").status_code == 200
    log = (tmp_path.parent / f"{tmp_path.name}-serve.log").read_text()
    assert f"warning: data folder {tmp_path} is mode 0755" in log and f"chmod 700 {tmp_path}" in log


def test_ctrl_c_stops_the_demo_cleanly(tmp_path: Path) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "zeroparty", "demo", "--port", "0"],
        cwd=ROOT,
        env=_env(tmp_path),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        reported_url(proc)
        proc.send_signal(signal.SIGINT)
        _out, err = proc.communicate(timeout=30)
    finally:
        stop(proc)
    # Exit 0, so `make demo` ends without "make: *** … Error 130"; and no traceback or "Aborted!".
    assert proc.returncode == 0, err
    assert b"Traceback" not in err and b"Aborted" not in err


def test_the_access_log_never_holds_a_whole_response_id(tmp_path: Path) -> None:
    assert _cli(tmp_path, "experiences", "import", "examples/skin-quiz.yaml").returncode == 0
    with running(tmp_path, "serve") as base:
        first = httpx.post(f"{base}/e/skin-quiz", data={"skin_type": "dry"})
        assert first.status_code == 303
        screen = first.headers["location"]  # /e/skin-quiz/r/{response id}/s/goals
        response_id = screen.split("/r/")[1].split("/")[0]
        assert httpx.get(base + screen).status_code == 200
    log = (tmp_path.parent / f"{tmp_path.name}-serve.log").read_text()
    assert f"/e/skin-quiz/r/{response_id[:8]}…/s/goals" in log  # the line is there, the id cut
    assert response_id not in log


def _demo_login(data_dir: Path, base: str) -> tuple[str, str]:
    """The console line of the demo's banner: its (email, password), checked to point at `base`."""
    log = (data_dir.parent / f"{data_dir.name}-demo.log").read_text()
    found = re.search(r"Console: +(\S+)/admin +\(email: (\S+) +password: (\S+)\)", log)
    assert found is not None, log
    assert found.group(1) == base
    return found.group(2), found.group(3)


def test_the_demo_banner_shows_a_console_login_that_works_until_the_next_start(tmp_path: Path) -> None:
    with running(tmp_path, "demo") as first:
        email, old = _demo_login(tmp_path, first)
    with running(tmp_path, "demo") as second:
        same, new = _demo_login(tmp_path, second)
    accounts = account_service(open_store(Settings(data_dir=tmp_path)))
    assert same == email == "owner@example.com" and new != old
    signed_in = asyncio.run(accounts.sign_in(email, new, "127.0.0.1")).user
    assert signed_in is not None and [(m.workspace.slug, m.role) for m in accounts.memberships(signed_in.id)] == [
        ("default", Role.OWNER)
    ]
    assert asyncio.run(accounts.sign_in(email, old, "127.0.0.1")).user is None
