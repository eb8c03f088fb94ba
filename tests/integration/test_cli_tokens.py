"""`zeroparty tokens …` as an operator uses it, and what the API makes of the tokens."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

import httpx

from tests.integration.test_cli import run
from tests.integration.test_readme import README, runnable_blocks
from tests.support.processes import cli_env
from tests.support.stack import running_stack
from zeroparty.adapters.http.access import SESSION_COOKIE


def test_a_token_is_shown_once_stored_as_a_digest_and_revocable(tmp_path: Path) -> None:
    made = run(tmp_path, "tokens", "create", "grafana")
    assert made.returncode == 0, made.stderr
    token = made.stdout.strip()
    assert token.startswith("zp_") and len(token) > 40 and "shown only this once" in made.stderr
    listed = run(tmp_path, "tokens", "list").stdout
    assert "grafana" in listed and token[-4:] in listed and token not in listed
    stored = (tmp_path / "zeroparty.db").read_bytes() + b"".join(p.read_bytes() for p in tmp_path.glob("*.db-*"))
    assert token.encode() not in stored
    again = run(tmp_path, "tokens", "create", "grafana")
    assert again.returncode == 1 and "already exists" in again.stderr and "--replace" in again.stderr
    assert run(tmp_path, "tokens", "create", "bad name!").returncode == 1
    assert run(tmp_path, "tokens", "revoke", "grafana").returncode == 0
    assert "revoked" in run(tmp_path, "tokens", "list").stdout
    gone = run(tmp_path, "tokens", "revoke", "grafana")
    assert gone.returncode == 1 and "no active token named 'grafana'" in gone.stderr
    anew = run(tmp_path, "tokens", "create", "grafana")  # a revoked token's name is free again
    assert anew.returncode == 0 and anew.stdout.strip() != token, anew.stderr


def test_a_token_is_an_owner_s_unless_made_with_a_role_and_the_list_shows_it(tmp_path: Path) -> None:
    assert run(tmp_path, "tokens", "create", "ci").returncode == 0
    made = run(tmp_path, "tokens", "create", "dashboards", "--role", "viewer")
    assert made.returncode == 0, made.stderr
    assert "(viewer)" in made.stderr
    listed = json.loads(run(tmp_path, "tokens", "list", "--json").stdout)
    assert [(t["name"], t["role"]) for t in listed] == [("ci", "owner"), ("dashboards", "viewer")]
    table = run(tmp_path, "tokens", "list").stdout
    assert "viewer" in table and "owner" in table
    wrong = run(tmp_path, "tokens", "create", "x", "--role", "admin")
    assert wrong.returncode == 2 and "admin" in wrong.stderr
    assert [t["name"] for t in json.loads(run(tmp_path, "tokens", "list", "--json").stdout)] == ["ci", "dashboards"]


def test_replace_revokes_the_active_token_of_that_name_and_prints_a_new_one(tmp_path: Path) -> None:
    with running_stack(tmp_path, worker=False) as stack:
        url = stack.base + "/api/v1/experiences"
        made = [run(tmp_path, "tokens", "create", "quickstart", "--replace") for _ in range(3)]
        assert [m.returncode for m in made] == [0, 0, 0], [m.stderr for m in made]
        first, second, third = (m.stdout.strip() for m in made)
        assert len({first, second, third}) == 3
        assert httpx.get(url, headers={"Authorization": f"Bearer {third}"}).status_code == 200
        for old in (first, second):
            r = httpx.get(url, headers={"Authorization": f"Bearer {old}"})
            assert r.status_code == 401 and "revoked" in r.json()["errors"][0]["message"]
        listed = [t for t in stack.rt.tokens.list() if t.name == "quickstart"]
        assert sorted(t.revoked_at is None for t in listed) == [False, False, True]


def _readme_token_block() -> str:
    [block] = [b for b in runnable_blocks(README.read_text()) if "tokens create quickstart" in b]
    return block


def test_the_readme_token_lines_work_when_run_again_and_stop_when_no_token_comes(tmp_path: Path) -> None:
    with running_stack(tmp_path, worker=False) as stack:
        script = _readme_token_block().replace("http://127.0.0.1:8000", stack.base)
        env = cli_env(tmp_path) | {"PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}
        for _ in range(2):  # as the README runs it (test_readme.py), twice in the same data folder
            done = subprocess.run(
                ["bash", "-c", "set -euo pipefail\n" + script], env=env, capture_output=True, text=True, timeout=60
            )
            assert done.returncode == 0, done.stderr
            assert "zeroparty_responses" in done.stdout and "quickstart" in done.stdout
        # As typed at a prompt, without `set -e`: a failed `tokens create` leaves TOKEN empty, and the
        # next line stops there instead of sending no token.
        broken = env | {"ZEROPARTY_SQLITE_BUSY_TIMEOUT_MS": "soon"}
        done = subprocess.run(["bash", "-c", script], env=broken, capture_output=True, text=True, timeout=60)
        assert done.returncode != 0 and "no token: see the error above" in done.stderr, done.stderr
        assert "ZEROPARTY_SQLITE_BUSY_TIMEOUT_MS" in done.stderr  # the error it points at
        assert "401" not in done.stderr + done.stdout and "experiences" not in done.stdout


def test_the_session_cookie_is_secure_when_served_over_https(tmp_path: Path) -> None:
    with running_stack(tmp_path, worker=False) as stack:

        async def sign_in() -> httpx.Response:
            transport = httpx.ASGITransport(app=stack.app)
            async with httpx.AsyncClient(transport=transport, base_url="https://quiz.example") as c:
                return await c.post("/login", data={"token": stack.token, "next": "/docs"})

        r = asyncio.run(sign_in())
    cookie = r.headers["set-cookie"]
    assert r.status_code == 303 and cookie.startswith(SESSION_COOKIE + "=")
    assert "secure" in cookie.lower() and "httponly" in cookie.lower()
