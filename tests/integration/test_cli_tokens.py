"""`zeroparty tokens …` as an operator uses it, and what the API makes of the tokens."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx

from tests.integration.test_cli import run
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
    assert again.returncode == 1 and "already exists" in again.stderr
    assert run(tmp_path, "tokens", "create", "bad name!").returncode == 1
    assert run(tmp_path, "tokens", "revoke", "grafana").returncode == 0
    assert "revoked" in run(tmp_path, "tokens", "list").stdout
    gone = run(tmp_path, "tokens", "revoke", "grafana")
    assert gone.returncode == 1 and "no active token named 'grafana'" in gone.stderr


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
