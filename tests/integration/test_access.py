"""Nothing is open by accident: every route of the assembled app (the demo's: pages, API, operator
pages and the mounted sandbox) is either listed as public, with a reason, or refuses an anonymous
request. A route added without a decision fails here."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from itsdangerous import URLSafeTimedSerializer
from starlette.routing import Mount, Route

from tests.support.stack import SANDBOX_AUTH, SANDBOX_KEY, Stack, running_stack
from zeroparty.adapters.db.sessions import sessions
from zeroparty.adapters.http.access import PUBLIC_ROUTES, SELF_GUARDED_MOUNTS, SESSION_COOKIE
from zeroparty.domain.operator_tokens import principal

EXAMPLE_PARAMS = {
    "slug": "skin-quiz",
    "response_id": "00000000-0000-4000-8000-000000000000",
    "screen_id": "about_you",
    "braze_id": "000000000000000000000000",
    "name": "swagger-ui.css",
}


def _inner_app(app: Any) -> Any:
    """The routed application inside the middleware layers."""
    while not hasattr(app, "routes"):
        app = app.app
    return app


def _routes(app: Any, prefix: str = "") -> Iterator[tuple[str, str, bool]]:
    """(method, path template, inside a self-guarded mount) for every route, mounts walked."""
    for route in _inner_app(app).routes:
        if isinstance(route, Mount):
            if route.path in SELF_GUARDED_MOUNTS:
                for method, path, _ in _routes(route.app, prefix + route.path):
                    yield method, path, True
            else:
                yield "GET", prefix + route.path, False
        elif isinstance(route, Route):
            for method in sorted((route.methods or {"GET"}) - {"HEAD"}):
                yield method, prefix + route.path, False
        elif hasattr(route, "effective_route_contexts"):  # FastAPI keeps included routers as a unit
            for included in route.effective_route_contexts():
                for method in sorted(set(included.methods or {"GET"}) - {"HEAD"}):
                    yield method, prefix + included.path, False


def _concrete(template: str) -> str:
    return re.sub(r"\{(\w+)(?::\w+)?\}", lambda m: EXAMPLE_PARAMS.get(m.group(1), "x"), template)


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    with running_stack(tmp_path_factory.mktemp("access"), worker=False) as s:
        yield s


def _all_routes(stack: Stack) -> list[tuple[str, str, bool]]:
    asgi = stack.app
    return sorted(set(_routes(asgi)))


def test_every_public_route_exists_and_says_why(stack: Stack) -> None:
    declared = {f"{m} {p}" for m, p, _guarded in _all_routes(stack)}
    stale = sorted(set(PUBLIC_ROUTES) - declared)
    assert not stale, f"listed as public but not served: {stale}"
    assert all(len(reason) > 20 for reason in PUBLIC_ROUTES.values())


def _refused(r: httpx.Response) -> bool:
    if r.status_code in (401, 403):
        return True
    # Browser pages send an anonymous visitor to a login form instead.
    return r.status_code == 303 and "login" in r.headers.get("location", "")


def test_every_other_route_refuses_an_anonymous_request(stack: Stack) -> None:
    routes = _all_routes(stack)
    assert len(routes) > 20  # the walk reached the API, the pages, the operator pages and the sandbox
    open_by_accident = []
    with httpx.Client(base_url=stack.base, follow_redirects=False) as c:
        for method, template, _guarded in routes:
            if f"{method} {template}" in PUBLIC_ROUTES:
                continue
            r = c.request(method, _concrete(template), json={})
            if not _refused(r):
                open_by_accident.append(f"{method} {template} → {r.status_code}")
    assert not open_by_accident, open_by_accident


def test_every_get_route_answers_head_like_get_without_a_body(stack: Stack) -> None:
    """HEAD is GET without the body (RFC 9110, 9.3.2): same status and headers, anonymous or not."""
    gets = sorted({template for method, template, _guarded in _all_routes(stack) if method == "GET"})
    assert "/metrics" in gets and "/braze-sandbox/_sandbox/stats" in gets
    differ = []
    with httpx.Client(base_url=stack.base, follow_redirects=False) as c:
        for template in gets:
            for headers in ({}, {**stack.auth, **SANDBOX_AUTH} if template.startswith("/braze") else stack.auth):
                path = _concrete(template)
                get, head = c.get(path, headers=headers), c.head(path, headers=headers)
                same = {"content-type", "content-length", "location", "cache-control", "www-authenticate"}
                seen = [(r.status_code, {k: r.headers.get(k) for k in same}) for r in (get, head)]
                if seen[0] != seen[1] or head.content:
                    differ.append(f"HEAD {path} ({'with' if headers else 'without'} credentials): {seen}")
    assert not differ, differ


def _problem(r: httpx.Response) -> str:
    assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer", r.text
    [error] = r.json()["errors"]
    assert error["field"] == "authorization"
    message: str = error["message"]
    return message


def test_a_missing_unknown_or_revoked_token_is_told_which(stack: Stack) -> None:
    url = f"{stack.base}/api/v1/experiences"
    assert "required" in _problem(httpx.get(url))
    assert "required" in _problem(httpx.get(url, headers={"Authorization": "Basic eDp5"}))
    assert _problem(httpx.get(url, headers={"Authorization": "Bearer zp_not-a-real-token"})) == "unknown token"
    assert _problem(httpx.get(url, headers={"Authorization": "Bearer not-even-shaped-like-one"})) == "unknown token"
    token = stack.rt.tokens.create("short-lived", stack.now())
    assert httpx.get(url, headers={"Authorization": f"Bearer {token}"}).status_code == 200
    stack.rt.tokens.revoke("short-lived", stack.now())
    [revoked] = [t for t in stack.rt.tokens.list() if t.name == "short-lived"]
    assert revoked.revoked_at is not None
    told = _problem(httpx.get(url, headers={"Authorization": f"Bearer {token}"}))
    assert told == f"this token was revoked (at {revoked.revoked_at:%Y-%m-%d %H:%M:%S} UTC)"
    assert "short-lived" not in told  # nothing the holder did not know


def test_the_login_page_says_which_too(stack: Stack) -> None:
    token = stack.rt.tokens.create("login-revoked", stack.now())
    stack.rt.tokens.revoke("login-revoked", stack.now())
    with httpx.Client(base_url=stack.base, follow_redirects=False) as c:
        for presented, status, text in [
            ("", 400, "A token is required"),
            ("zp_wrong", 401, "Unknown token."),
            (token, 401, "This token was revoked (at "),
        ]:
            r = c.post("/login", data={"token": presented, "next": "/docs"})
            assert r.status_code == status and text in r.text, (presented, r.text)
            assert "set-cookie" not in r.headers


def test_an_operator_token_opens_the_api_docs_and_metrics(stack: Stack) -> None:
    with httpx.Client(base_url=stack.base, headers=stack.auth) as c:
        assert c.get("/api/v1/experiences").json()[0]["slug"] == "skin-quiz"
        assert "/api/v1/experiences/{slug}/responses" in c.get("/openapi.json").json()["paths"]
        assert "zeroparty_outbox_items" in c.get("/metrics").text
        assert c.get("/docs").status_code == 200
        assert c.get("/docs/assets/swagger-ui-bundle.js").status_code == 200


def test_the_login_page_trades_a_token_for_a_session_cookie_good_for_reading_only(stack: Stack) -> None:
    with httpx.Client(base_url=stack.base, follow_redirects=False) as c:
        assert c.get("/docs").headers["location"].endswith("/login?next=/docs")
        bad = c.post("/login", data={"token": "zp_wrong", "next": "/docs"})
        assert bad.status_code == 401 and "Unknown token" in bad.text
        good = c.post("/login", data={"token": stack.token, "next": "https://evil.example/"})
        assert good.status_code == 303 and good.headers["location"] == "/docs"  # never off-site
        cookie = good.headers["set-cookie"].lower()
        assert "httponly" in cookie and "samesite=strict" in cookie and "secure" not in cookie
        assert stack.token not in good.headers["set-cookie"]
        assert c.get("/docs").status_code == 200
        assert c.get("/metrics").status_code == 200
        # The cookie never authorises a change (no cross-site request can use it).
        assert c.post("/api/v1/experiences/skin-quiz/responses", content=b"{").status_code != 401
        c.post("/logout")
        assert c.get("/metrics").status_code == 401


def _signed_in(stack: Stack, token: str) -> str:
    with httpx.Client(base_url=stack.base, follow_redirects=False) as c:
        r = c.post("/login", data={"token": token, "next": "/metrics"})
        assert r.status_code == 303, r.text
        return c.cookies[SESSION_COOKIE]


def _with_cookie(stack: Stack, cookie: str, path: str = "/metrics") -> httpx.Response:
    return httpx.get(stack.base + path, cookies={SESSION_COOKIE: cookie}, follow_redirects=False)


def test_logout_ends_the_session_on_the_server_so_a_replayed_cookie_is_refused(stack: Stack) -> None:
    cookie = _signed_in(stack, stack.token)
    other = _signed_in(stack, stack.token)  # the same operator in another browser
    assert _with_cookie(stack, cookie).status_code == 200
    out = httpx.post(stack.base + "/logout", cookies={SESSION_COOKIE: cookie}, follow_redirects=False)
    assert out.status_code == 303
    replayed = _with_cookie(stack, cookie)  # a copy kept from before the logout
    assert "session has ended" in _problem(replayed)
    assert _with_cookie(stack, cookie, "/docs").headers["location"] == "/login?next=/docs"
    assert _with_cookie(stack, other).status_code == 200  # only that session ended


def test_revoking_a_token_ends_its_sessions(stack: Stack) -> None:
    token = stack.rt.tokens.create("browser-user", stack.now())
    [made] = [t for t in stack.rt.tokens.list() if t.name == "browser-user"]

    def stored() -> int:
        mine = sa.select(sa.func.count()).select_from(sessions).where(sessions.c.principal == principal(made.id))
        with stack.rt.engine.connect() as conn:
            return int(conn.execute(mine).scalar_one())

    cookie = _signed_in(stack, token)
    assert _with_cookie(stack, cookie).status_code == 200 and stored() == 1
    stack.rt.tokens.revoke("browser-user", stack.now())
    assert "session has ended" in _problem(_with_cookie(stack, cookie))
    assert stored() == 0


def test_a_forged_or_tampered_cookie_is_refused(stack: Stack) -> None:
    cookie = _signed_in(stack, stack.token)
    assert _with_cookie(stack, cookie[:-2] + ("AA" if not cookie.endswith("AA") else "BB")).status_code == 401
    # A validly signed id of a session that was never started (the old cookie held a token id).
    forged = URLSafeTimedSerializer(stack.rt.session_secret, salt="zeroparty-operator-session").dumps(1)
    assert _with_cookie(stack, forged).status_code == 401


def test_a_forged_host_shapes_no_redirect_and_no_link(stack: Stack) -> None:
    """Every Location and every link the sign-in pages make is a path on this site, whatever Host says."""
    evil = {"Host": "evil.example"}
    with httpx.Client(base_url=stack.base, follow_redirects=False, headers=evil) as c:
        answers = {
            "GET /docs": c.get("/docs"),
            "POST /logout": c.post("/logout"),
            "POST /login": c.post("/login", data={"token": stack.token, "next": "/metrics"}),
            "GET /braze-sandbox/_sandbox/ui/": c.get("/braze-sandbox/_sandbox/ui/"),
            "POST /braze-sandbox/_sandbox/ui/login": c.post(
                "/braze-sandbox/_sandbox/ui/login", data={"key": SANDBOX_KEY}
            ),
            "POST /braze-sandbox/_sandbox/ui/logout": c.post("/braze-sandbox/_sandbox/ui/logout"),
        }
        locations = {name: r.headers.get("location", "") for name, r in answers.items()}
        assert all(r.status_code == 303 for r in answers.values()), locations
        assert all(loc.startswith("/") and not loc.startswith("//") for loc in locations.values()), locations
        assert locations["GET /docs"] == "/login?next=/docs" and locations["POST /logout"] == "/login"
        assert locations["POST /login"] == "/metrics"
        for page in ("/login", "/braze-sandbox/_sandbox/ui/login"):
            actions = re.findall(r'<form[^>]* action="([^"]*)"', c.get(page).text)
            assert actions and all(a.startswith("/") and "evil.example" not in a for a in actions), actions
        c.cookies.clear()
        c.post("/login", data={"token": stack.token, "next": "/docs"})
        docs = c.get("/docs")
        assert docs.status_code == 200 and "evil.example" not in docs.text, docs.text


def test_the_sandbox_mount_is_refused_without_its_key_and_served_with_it(stack: Stack) -> None:
    assert httpx.get(stack.sandbox + "/_sandbox/stats").status_code == 401
    assert httpx.get(stack.sandbox + "/_sandbox/stats", headers=SANDBOX_AUTH).status_code == 200


def test_serve_has_no_sandbox_unless_asked(tmp_path: Path) -> None:
    with running_stack(tmp_path, worker=False, sandbox=False) as s:
        assert httpx.get(s.base + "/braze-sandbox/_sandbox/stats", headers=SANDBOX_AUTH).status_code == 404
        assert not [p for _m, p, _g in _routes(s.app) if p.startswith("/braze-sandbox")]


def test_a_token_lists_only_its_own_workspaces_experiences(stack: Stack) -> None:
    from tests.support.console import second_workspace
    from tests.support.definitions import sample
    from zeroparty.adapters.db.experiences import SqlExperienceStore
    from zeroparty.adapters.db.tokens import SqlTokens

    other = second_workspace(stack, "listing-brand")
    SqlExperienceStore(stack.rt.engine, workspace_id=other.id).publish(
        sample().model_copy(update={"slug": "their-quiz"}), stack.now()
    )
    theirs = SqlTokens(stack.rt.engine, workspace_id=other.id).create("their-reader", stack.now())
    mine = httpx.get(f"{stack.base}/api/v1/experiences", headers=stack.auth).json()
    their = httpx.get(f"{stack.base}/api/v1/experiences", headers={"Authorization": f"Bearer {theirs}"}).json()
    assert "skin-quiz" in [e["slug"] for e in mine] and "their-quiz" not in [e["slug"] for e in mine]
    assert [e["slug"] for e in their] == ["their-quiz"]
