"""The console lets each user do what their role allows in their own workspaces, and nothing else:
every /admin route declares the role it needs (a route added without one fails here), an anonymous
visitor is sent to sign in, a viewer is refused an editor's or owner's action, another workspace's
pages answer 404, a form without its CSRF token or from another site is refused, sign-in is rate
limited, and a Braze key shows on no page."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.integration.test_access import _routes
from tests.support.console import PASSWORD, People, csrf_of, people, post_form, signed_in
from tests.support.definitions import sample
from tests.support.stack import SANDBOX_KEY, Stack, running_stack
from zeroparty.adapters.http.access import PUBLIC_ROUTES
from zeroparty.adapters.http.console.gate import ROUTE_ROLES
from zeroparty.domain.roles import Role, allows


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    with running_stack(tmp_path_factory.mktemp("console"), worker=False) as s:
        yield s


@pytest.fixture(scope="module")
def who(stack: Stack) -> People:
    return people(stack)


def _console_routes(stack: Stack) -> list[tuple[str, str]]:
    return sorted({(m, p) for m, p, _ in _routes(stack.app) if p.startswith("/admin")})


def _path(template: str, ws: str, name: str = "sandbox") -> str:
    # The stack publishes the sample experience in the first workspace: its pages are walked too.
    values = {"ws": ws, "name": name, "slug": sample().slug}
    return re.sub(r"\{(\w+)\}", lambda m: values.get(m.group(1), "x"), template)


def _guarded(stack: Stack) -> list[tuple[str, str, Role | None]]:
    return [(m, p, ROUTE_ROLES[f"{m} {p}"]) for m, p in _console_routes(stack) if f"{m} {p}" not in PUBLIC_ROUTES]


def test_every_console_route_is_public_with_a_reason_or_names_its_role(stack: Stack) -> None:
    routes = _console_routes(stack)
    assert len(routes) >= 10
    undecided = [f"{m} {p}" for m, p in routes if f"{m} {p}" not in PUBLIC_ROUTES and f"{m} {p}" not in ROUTE_ROLES]
    assert not undecided, undecided
    stale = sorted(set(ROUTE_ROLES) - {f"{m} {p}" for m, p in routes})
    assert not stale, stale


def test_an_anonymous_visitor_is_sent_to_sign_in_everywhere(stack: Stack, who: People) -> None:
    with httpx.Client(base_url=stack.base, follow_redirects=False) as c:
        for method, template, _role in _guarded(stack):
            r = c.request(method, _path(template, who.first.slug))
            assert r.status_code == 303 and r.headers["location"].startswith("/admin/login?next="), (template, r)


@pytest.mark.parametrize("user", ["viewer", "editor"])
def test_a_role_below_what_a_route_needs_is_refused(stack: Stack, who: People, user: str) -> None:
    role = Role(user)
    email = getattr(who, user)
    overview = f"/admin/w/{who.first.slug}"
    with signed_in(stack, email) as c:
        checked = 0
        for method, template, needed in _guarded(stack):
            if needed is None or allows(role, needed):
                continue
            path = _path(template, who.first.slug)
            r = post_form(c, path, {}, overview) if method == "POST" else c.get(path)
            assert r.status_code == 403 and f"needs the {needed} role" in r.text, (method, path, r.status_code)
            checked += 1
        assert checked >= (6 if role is Role.VIEWER else 5)


def test_another_workspace_answers_not_found_on_every_page(stack: Stack, who: People) -> None:
    with signed_in(stack, who.other_owner) as c:
        mine = f"/admin/w/{who.second.slug}"
        assert c.get(mine).status_code == 200
        for method, template, _role in _guarded(stack):
            if "{ws}" not in template:
                continue
            path = _path(template, who.first.slug)
            r = post_form(c, path, {}, mine) if method == "POST" else c.get(path)
            assert r.status_code == 404, (method, path, r.status_code)
            assert who.first.name not in r.text


def test_a_form_without_its_token_or_from_another_site_is_refused(stack: Stack, who: People) -> None:
    overview = f"/admin/w/{who.first.slug}"
    posts = [p for m, p, _ in _guarded(stack) if m == "POST"] + ["/admin/logout"]
    with signed_in(stack, who.owner) as c:
        token = csrf_of(c.get(overview))
        for template in posts:
            path = _path(template, who.first.slug)
            for data, headers in [
                ({}, {}),
                ({"csrf_token": "forged"}, {}),
                ({"csrf_token": token}, {"Sec-Fetch-Site": "cross-site"}),
                ({"csrf_token": token}, {"Origin": "https://evil.example"}),
            ]:
                r = c.post(path, data=data, headers=headers)
                assert r.status_code == 403 and "expired" in r.text, (path, data, headers, r.status_code)
        assert c.get(overview).status_code == 200  # still signed in: the refused logouts did nothing


def test_the_login_form_itself_needs_its_token(stack: Stack, who: People) -> None:
    with httpx.Client(base_url=stack.base, follow_redirects=False) as c:
        r = c.post("/admin/login", data={"email": who.owner, "password": PASSWORD})
        assert r.status_code == 403 and "set-cookie" not in r.headers


def test_sign_in_is_limited_per_client_and_says_so_generically(tmp_path: Path) -> None:
    # A server of its own: the failures spend this client's allowance, which the other tests need.
    with (
        running_stack(tmp_path, worker=False, destination=False) as stack,
        httpx.Client(base_url=stack.base, follow_redirects=False) as c,
    ):
        token = csrf_of(c.get("/admin/login"))
        statuses = []
        for _ in range(12):
            r = c.post(
                "/admin/login",
                data={"email": "nobody@brand.example", "password": "wrong password!", "csrf_token": token},
            )
            statuses.append(r.status_code)
            if r.status_code == 401:
                assert "Wrong email or password." in r.text
        assert statuses[0] == 401 and statuses[-1] == 429
        assert int(r.headers["retry-after"]) > 0 and "too many failed sign-ins" in r.text.lower()


def test_the_session_cookie_is_guarded_and_ends_for_good_at_logout(stack: Stack, who: People) -> None:
    with httpx.Client(base_url=stack.base, follow_redirects=False) as c:
        token = csrf_of(c.get("/admin/login"))
        r = c.post("/admin/login", data={"email": who.viewer, "password": PASSWORD, "csrf_token": token})
        assert r.status_code == 303
        cookie = r.headers["set-cookie"].lower()
        assert "httponly" in cookie and "samesite=lax" in cookie and "secure" not in cookie  # plain http here
        kept = dict(c.cookies)
        overview = f"/admin/w/{who.first.slug}"
        assert c.get(overview).status_code == 200
        assert post_form(c, "/admin/logout", {}, overview).status_code == 303
    replayed = httpx.get(stack.base + overview, cookies=kept, follow_redirects=False)
    assert replayed.status_code == 303 and replayed.headers["location"].startswith("/admin/login")


def test_a_braze_key_shows_on_no_page_and_in_no_log_line(
    stack: Stack, who: People, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    ws = who.first.slug
    with signed_in(stack, who.owner) as c:
        new = f"/admin/w/{ws}/destinations/new"
        wrong = post_form(
            c,
            new,
            {
                "name": "keyed",
                "instance": "custom",
                "endpoint": stack.sandbox,
                "api_key": SANDBOX_KEY + "x",
                "batch_limits": "combined",
            },
            new,
        )
        assert wrong.status_code == 422 and SANDBOX_KEY not in wrong.text
        added = post_form(
            c,
            new,
            {
                "name": "keyed",
                "instance": "custom",
                "endpoint": stack.sandbox,
                "api_key": SANDBOX_KEY,
                "batch_limits": "combined",
            },
            new,
        )
        assert added.status_code == 200 and "Braze accepted the key" in added.text
        seen = [c.get(_path(p, ws, "keyed"), follow_redirects=True) for m, p, _ in _guarded(stack) if m == "GET"]
    seen += [httpx.get(stack.base + path, headers=stack.auth) for path in ("/api/v1/experiences", "/metrics")]
    assert all(r.status_code == 200 for r in seen), [(r.url, r.status_code) for r in seen if r.status_code != 200]
    assert not [str(r.url) for r in seen if SANDBOX_KEY in r.text]
    assert SANDBOX_KEY not in caplog.text


def test_behind_https_the_session_cookie_is_secure_and_host_only(stack: Stack, who: People) -> None:
    https = {"X-Forwarded-Proto": "https"}  # from a trusted proxy (the stack trusts loopback)
    with httpx.Client(base_url=stack.base, follow_redirects=False, headers=https) as c:
        form = c.get("/admin/login")
        assert "secure" in form.headers["set-cookie"].lower()  # the login form's CSRF cookie too
        data = {"email": who.viewer, "password": PASSWORD, "csrf_token": csrf_of(form)}
        # A Secure cookie is not sent back over this test's plain http: send it as the browser would.
        sent_back = {"Cookie": f"zp_login_csrf={csrf_of(form)}"}
        r = c.post("/admin/login", data=data, headers=sent_back)
        assert r.status_code == 303, r.text
        cookie = next(v for k, v in r.headers.multi_items() if k == "set-cookie" and "zp_console" in v).lower()
    assert cookie.startswith("__host-zp_console=") and "secure" in cookie and "path=/" in cookie
    assert "httponly" in cookie and "samesite=lax" in cookie and "domain=" not in cookie
