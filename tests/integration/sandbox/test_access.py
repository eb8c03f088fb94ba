"""Every route of the sandbox needs one of its keys: Braze's paths and the JSON control API as a
Bearer key, the profile browser through its login form and then a signed session cookie."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from sqlalchemy.engine import Engine
from starlette.applications import Starlette
from starlette.routing import Mount, Route

from tests.integration.sandbox.conftest import AUTH, EXPORT_ONLY_KEY, KEY, FakeClock, log_in
from tests.support.server import serve
from zeroparty.adapters.db.engine import create_engine
from zeroparty.sandbox import ALL_PERMISSIONS, SandboxConfig, create_sandbox_app

WRONG = {"Authorization": "Bearer not-a-sandbox-key"}
COOKIE = "zeroparty_sandbox_ui"
LOGIN = "/_sandbox/ui/login"
# The only routes open without a key: the browser's way in and out.
PUBLIC = {("GET", LOGIN), ("POST", LOGIN), ("POST", "/_sandbox/ui/logout")}


def config(*keys: str) -> SandboxConfig:
    return SandboxConfig(api_keys={k: ALL_PERMISSIONS for k in keys})


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    e = create_engine(f"sqlite:///{tmp_path / 'sandbox.db'}")
    yield e
    e.dispose()


@contextmanager
def served(engine: Engine, cfg: SandboxConfig) -> Iterator[tuple[Starlette, httpx.Client]]:
    app = create_sandbox_app(engine, cfg)
    with serve(app) as base, httpx.Client(base_url=base) as client:
        yield app, client


def every_route(app: Starlette) -> list[tuple[str, str]]:
    """(method, path) for each route the app has, path parameters filled in."""
    found = []
    for route in app.routes:
        assert isinstance(route, Route), route  # no mounts or other kinds a guard could miss
        for method in sorted((route.methods or set()) - {"HEAD"}):
            found.append((method, re.sub(r"\{[^}]+\}", "someone", route.path)))
    return found


def test_every_route_but_the_login_refuses_a_request_without_the_key(engine: Engine) -> None:
    with served(engine, config(KEY, EXPORT_ONLY_KEY)) as (app, client):
        routes = every_route(app)
        assert set(routes) >= PUBLIC and len(routes) > 20
        checked = 0
        for method, path in routes:
            if (method, path) in PUBLIC:
                continue
            cookies = [{}, {COOKIE: "forged"}] if path.startswith("/_sandbox/ui/") else [{}]
            for headers in ({}, WRONG):
                for jar in cookies:
                    client.cookies.clear()
                    client.cookies.update(jar)
                    r = client.request(method, path, headers=headers, json={})
                    if path.startswith("/_sandbox/ui/"):
                        assert method == "GET", path  # the browser only reads
                        assert (r.status_code, r.headers["location"]) == (303, LOGIN), (method, path, headers)
                    else:
                        assert r.status_code == 401, (method, path, headers, r.text)
                        assert r.json() == {"message": "Invalid API Key"}
                    checked += 1
        assert checked > 40


def test_the_key_opens_the_control_api_but_not_the_browser(engine: Engine) -> None:
    with served(engine, config(KEY, EXPORT_ONLY_KEY)) as (app, client):
        for method, path in every_route(app):
            if not path.startswith("/_sandbox/") or (method, path) in PUBLIC:
                continue
            for key in (KEY, EXPORT_ONLY_KEY):  # any of the sandbox's keys, whatever its permissions
                r = client.request(method, path, headers={"Authorization": f"Bearer {key}"}, json={"faults": []})
                if path.startswith("/_sandbox/ui/"):
                    assert r.status_code == 303  # pages want the session, not a header
                else:
                    assert r.status_code in (200, 404, 422), (method, path, r.text)  # past the guard
        r = client.get("/_sandbox/stats", headers={"Authorization": f"bEaReR {KEY}"})  # scheme in any case
        assert r.status_code == 200


def test_sign_in_browse_and_sign_out(engine: Engine) -> None:
    with served(engine, config(KEY)) as (_app, client):
        form = client.get(LOGIN)
        assert form.status_code == 200 and 'type="password"' in form.text and 'name="key"' in form.text
        assert form.headers["cache-control"] == "no-store"
        assert "frame-ancestors 'none'" in form.headers["content-security-policy"]
        wrong = client.post(LOGIN, data={"key": "guess-<b>-123"})
        assert wrong.status_code == 401 and "not one of this sandbox" in wrong.text
        assert "guess" not in wrong.text and "set-cookie" not in wrong.headers  # the typed key is not echoed
        assert (
            client.post(LOGIN, content=b'{"key": "x"}', headers={"Content-Type": "application/json"}).status_code == 401
        )
        assert client.post(LOGIN, data={"key": "x" * 10_000}).status_code == 401

        ok = client.post(LOGIN, data={"key": KEY})
        assert (ok.status_code, ok.headers["location"]) == (303, "/_sandbox/ui/")
        cookie = ok.headers["set-cookie"]
        value = cookie.split(";")[0].removeprefix(COOKIE + "=")
        attributes = {a.strip().split("=")[0].lower(): a.strip() for a in cookie.split(";")[1:]}
        assert attributes["path"] == "Path=/_sandbox/ui" and "httponly" in attributes
        assert attributes["samesite"].lower() == "samesite=strict" and "secure" not in attributes  # plain http
        assert KEY not in value and value

        index = client.get("/_sandbox/ui/")
        assert index.status_code == 200 and KEY not in index.text
        assert index.headers["cache-control"] == "no-store" and index.headers["x-frame-options"] == "DENY"
        assert client.get("/_sandbox/ui/requests").status_code == 200
        assert client.get("/_sandbox/stats").status_code == 401  # the cookie is not a key for the JSON API

        out = client.post("/_sandbox/ui/logout")
        assert (out.status_code, out.headers["location"]) == (303, LOGIN)
        assert client.get("/_sandbox/ui/").status_code == 303


def test_signing_out_ends_the_session_on_the_server_so_a_replayed_cookie_is_refused(engine: Engine) -> None:
    with served(engine, config(KEY)) as (_app, client), httpx.Client(base_url=str(client.base_url)) as other:
        log_in(client)
        log_in(other)  # the same developer in another browser
        kept = client.cookies[COOKIE]
        assert client.post("/_sandbox/ui/logout").status_code == 303
        client.cookies.set(COOKIE, kept, path="/_sandbox/ui")  # a copy kept from before signing out
        assert client.get("/_sandbox/ui/").status_code == 303
        assert other.get("/_sandbox/ui/").status_code == 200  # only that session ended


def test_a_browser_session_expires_after_twelve_hours(engine: Engine) -> None:
    clock = FakeClock()
    with serve(create_sandbox_app(engine, config(KEY), clock=clock)) as base, httpx.Client(base_url=base) as client:
        log_in(client)
        clock.advance(12 * 3600 - 60)
        assert client.get("/_sandbox/ui/").status_code == 200
        clock.advance(60)
        assert client.get("/_sandbox/ui/").status_code == 303


def test_a_tampered_cookie_is_refused(engine: Engine) -> None:
    with served(engine, config(KEY)) as (_app, client):
        log_in(client)
        value = client.cookies[COOKIE]
        client.cookies.clear()
        client.cookies.set(COOKIE, value[:-2] + ("AA" if not value.endswith("AA") else "BB"))
        assert client.get("/_sandbox/ui/").status_code == 303


def test_a_session_ends_when_its_key_is_no_longer_configured(engine: Engine) -> None:
    with served(engine, config(KEY)) as (_app, client):
        log_in(client)
        value = client.cookies[COOKIE]

    def page_with(cfg: SandboxConfig) -> int:
        with served(engine, cfg) as (_app, other):
            other.cookies.set(COOKIE, value)
            return other.get("/_sandbox/ui/").status_code

    assert page_with(config("a-new-key")) == 303  # the key changed: sign in again
    assert page_with(config(KEY)) == 200  # the same key after a restart: still signed in
    assert page_with(config("a-new-key", KEY)) == 200  # a key added beside it


def test_over_https_under_a_prefix_the_cookie_is_secure_and_scoped(engine: Engine) -> None:
    # Plain-HTTP test servers cannot make the request scheme https; the ASGI transport can.
    async def check(sandbox: Starlette) -> None:
        app = Starlette(routes=[Mount("/braze-sandbox", sandbox)])
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="https://sandbox.test") as client:
            first = await client.get("/braze-sandbox/_sandbox/ui/")
            assert (first.status_code, first.headers["location"]) == (303, "/braze-sandbox/_sandbox/ui/login")
            ok = await client.post("/braze-sandbox/_sandbox/ui/login", data={"key": KEY})
            assert ok.headers["location"] == "/braze-sandbox/_sandbox/ui/"
            attributes = [a.strip().lower() for a in ok.headers["set-cookie"].split(";")[1:]]
            assert "secure" in attributes and "httponly" in attributes and "samesite=strict" in attributes
            assert "path=/braze-sandbox/_sandbox/ui" in attributes
            assert (await client.get("/braze-sandbox/_sandbox/ui/")).status_code == 200
            assert (await client.get("/braze-sandbox/_sandbox/stats")).status_code == 401
            assert (await client.get("/braze-sandbox/_sandbox/stats", headers=AUTH)).status_code == 200
            out = await client.post("/braze-sandbox/_sandbox/ui/logout")
            assert "secure" in [a.strip().lower() for a in out.headers["set-cookie"].split(";")]
            assert (await client.get("/braze-sandbox/_sandbox/ui/")).status_code == 303

    asyncio.run(check(create_sandbox_app(engine, config(KEY))))
