"""Both login forms are limited per client and per account, answer 429 with Retry-After, and never
hold back a client that has not failed. Clients are told apart by the address the server saw (each
request below comes from the address its transport gives), which a trusted proxy may set."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

import httpx
import pytest
from sqlalchemy.engine import Engine
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from tests.integration.sandbox.conftest import FakeClock
from tests.support.stack import Stack, running_stack
from zeroparty.adapters.db.engine import create_engine
from zeroparty.sandbox import SandboxConfig, create_sandbox_app

SANDBOX_KEY = "sandbox-key-for-limits-0001"
ATTACKER = "203.0.113.5"
OWNER = "198.51.100.7"


def post(
    app: Any, client: str, path: str, data: dict[str, str], headers: dict[str, str] | None = None
) -> httpx.Response:
    async def go() -> httpx.Response:
        transport = httpx.ASGITransport(app=app, client=(client, 40000))
        async with httpx.AsyncClient(transport=transport, base_url="http://zeroparty.test") as c:
            return await c.post(path, data=data, headers=headers or {})

    return asyncio.run(go())


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    with running_stack(tmp_path_factory.mktemp("limits"), worker=False, sandbox=False) as s:
        yield s


def _login(stack: Stack, client: str, token: str) -> httpx.Response:
    return post(stack.app, client, "/login", {"token": token, "next": "/docs"})


def test_one_client_gets_ten_failures_then_429_with_retry_after_and_others_still_sign_in(stack: Stack) -> None:
    wrong = [_login(stack, ATTACKER, f"zp_guess-{n}").status_code for n in range(10)]
    assert wrong == [401] * 10
    refused = _login(stack, ATTACKER, "zp_guess-11")
    assert refused.status_code == 429
    wait = int(refused.headers["retry-after"])
    assert 1 <= wait <= 900 and f"try again in {wait} seconds" in refused.text
    assert "from your address" in refused.text and "set-cookie" not in refused.headers
    assert _login(stack, ATTACKER, stack.token).status_code == 429  # even the right token waits there
    assert _login(stack, OWNER, stack.token).status_code == 303  # others' failures hinder no one


def test_a_revoked_token_replayed_from_many_addresses_is_slowed_down_per_token(stack: Stack) -> None:
    leaked = stack.rt.tokens.create("leaked", stack.now())
    stack.rt.tokens.revoke("leaked", stack.now())
    for n in range(30):  # thirty addresses, one try each: the token's allowance is spent
        r = _login(stack, f"192.0.2.{n}", leaked)
        assert r.status_code == 401 and "revoked" in r.text
    again = _login(stack, "192.0.2.1", leaked)
    assert again.status_code == 429 and "with this token" in again.text
    assert _login(stack, "192.0.2.1", stack.token).status_code == 303  # another token is another account
    assert _login(stack, "198.51.100.99", leaked).status_code == 401  # a client with a clean record is heard


def test_behind_a_trusted_proxy_the_forwarded_address_is_the_client(stack: Stack) -> None:
    proxied = ProxyHeadersMiddleware(cast(Any, stack.app), trusted_hosts="127.0.0.1")
    for n in range(12):  # twelve users behind the proxy, one typo each: nobody is limited
        r = post(proxied, "127.0.0.1", "/login", {"token": "zp_typo"}, {"X-Forwarded-For": f"100.64.0.{n}"})
        assert r.status_code == 401
    # From a peer that is not the trusted proxy, X-Forwarded-For is ignored: one client, whatever it says.
    codes = [
        post(proxied, "203.0.113.77", "/login", {"token": "zp_typo"}, {"X-Forwarded-For": f"100.64.1.{n}"}).status_code
        for n in range(11)
    ]
    assert codes == [401] * 10 + [429]


# -- the sandbox's profile browser --------------------------------------------------------------------


@pytest.fixture
def sandbox_engine(tmp_path: Path) -> Iterator[Engine]:
    e = create_engine(f"sqlite:///{tmp_path / 'sandbox.db'}")
    yield e
    e.dispose()


def test_the_sandbox_login_is_limited_per_client_and_across_clients(sandbox_engine: Engine) -> None:
    clock = FakeClock()
    app = create_sandbox_app(sandbox_engine, SandboxConfig.single_key(SANDBOX_KEY), clock=clock)
    login = "/_sandbox/ui/login"
    assert [post(app, ATTACKER, login, {"key": f"guess-{n}"}).status_code for n in range(11)] == [401] * 10 + [429]
    refused = post(app, ATTACKER, login, {"key": SANDBOX_KEY})
    wait = int(refused.headers["retry-after"])
    assert refused.status_code == 429 and f"try again in {wait} seconds" in refused.text
    assert refused.headers["cache-control"] == "no-store"
    clock.advance(wait)
    assert post(app, ATTACKER, login, {"key": SANDBOX_KEY}).status_code == 303  # the wait was enough
    # Guessing from many addresses spends the sandbox's own allowance (30): a failing address then
    # waits, while one that has not failed signs in.
    for n in range(30):
        post(app, f"192.0.2.{n}", login, {"key": "guess"})
    again = post(app, "192.0.2.3", login, {"key": "guess"})
    assert again.status_code == 429 and "to this sandbox" in again.text
    assert post(app, OWNER, login, {"key": SANDBOX_KEY}).status_code == 303
