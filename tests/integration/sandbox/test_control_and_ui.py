"""The control API (request log, stats, reset, profiles) and the HTML profile browser, over real HTTP,
served at the root and mounted under a prefix as in the demo."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette
from starlette.routing import Mount

from tests.integration.sandbox.conftest import AUTH, KEY, Sandbox, start
from tests.support.server import serve
from zeroparty.adapters.db.engine import create_engine
from zeroparty.sandbox import SandboxConfig, create_sandbox_app

ONE = {"attributes": [{"external_id": "u1", "n": 1}]}


def test_request_log_keeps_bodies_answers_latency_and_data_points(sandbox: Sandbox) -> None:
    sandbox.post("/users/track", ONE)
    sandbox.client.post(
        sandbox.base + "/users/track",
        content=b"{",
        headers={"Authorization": f"Bearer {KEY}", "Content-Type": "application/json"},
    )
    sandbox.post("/users/track", {"attributes": [{"external_id": "u1", "pet": {"a b": 1}, "time_zone": "Nowhere"}]})
    sandbox.post("/users/export/ids", {"external_ids": ["u1"]})
    log = sandbox.log(limit=10)
    assert [(e["id"], e["method"], e["path"], e["status"]) for e in log] == [
        (1, "POST", "/users/track", 201), (2, "POST", "/users/track", 400), (3, "POST", "/users/track", 201), (4, "POST", "/users/export/ids", 201),
    ]  # fmt: skip
    first = log[0]
    assert first["request_body"] == ONE and first["response_body"] == {"message": "success", "attributes_processed": 1}
    assert first["latency_ms"] >= 0 and first["data_points"] == 1 and first["notes"] == []
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?\+00:00", first["at"])
    assert log[1]["request_body"] is None  # not JSON
    assert log[2]["notes"] == [
        "all nested custom attribute updates dropped: 'pet' holds a invalid key name 'a b' (no spaces, '.' or '$'; 1 to 255 characters)",
        "'pet': dropped, the request holds an invalid nested custom attribute value",
        "'time_zone': 'Nowhere' is not a value Braze sets; left unchanged",
    ]
    assert [e["id"] for e in sandbox.log(limit=2)] == [3, 4]  # the last N, oldest first
    only = sandbox.api.get("/_sandbox/requests", params={"path": "/users/export/ids"}).json()["requests"]
    assert [e["id"] for e in only] == [4]
    assert sandbox.api.get("/_sandbox/requests", params={"limit": "x"}).status_code == 422


REFUSED_BODIES = [
    b'{"attributes": [{"external_id": "\\ud800", "a": 1}]}',
    b'{"attributes": [{"email": "\\udfff@x.co", "a": 1}]}',
    b'{"attributes": [{"external_id": "keep", "a": "\\ud800"}]}',
    b'{"events": [{"external_id": "keep", "name": "\\ud800", "time": "2026-01-01"}]}',
    b'{"attributes": [{"external_id": "keep", "n": 1e400}]}',
]


def test_refused_text_and_numbers_leave_every_listing_readable(sandbox: Sandbox) -> None:
    for body in REFUSED_BODIES:
        r = sandbox.client.post(
            sandbox.base + "/users/track", content=body, headers={**AUTH, "Content-Type": "application/json"}
        )
        assert r.status_code == 400, (body, r.text)
    log = sandbox.log(limit=10)
    assert [e["status"] for e in log] == [400] * len(REFUSED_BODIES)
    assert all(e["request_body"] is None for e in log)  # not JSON the sandbox can keep
    assert sandbox.export(external_ids=["keep"]) == []  # nothing of them was stored
    assert sandbox.api.get("/_sandbox/profiles").json() == {"profiles": []}
    assert sandbox.browser.get("/_sandbox/ui/requests").status_code == 200
    assert sandbox.browser.get("/_sandbox/ui/").status_code == 200


def test_an_increment_past_a_doubles_range_leaves_the_value(sandbox: Sandbox) -> None:
    big = 10**308
    sandbox.attrs(external_id="u1", n={"inc": big})
    sandbox.attrs(external_id="u1", n={"inc": big})  # twice that is past the largest double
    sandbox.attrs(external_id="u1", n={"inc": 1.5})
    assert sandbox.custom("u1")["n"] == big + 1.5
    assert sandbox.api.get("/_sandbox/requests", params={"limit": 3}).status_code == 200


@pytest.mark.parametrize("limit", ["99999999999999999999999", "-1", "1e3", "\u0663", " 5", ""])
def test_a_request_log_limit_that_is_not_a_small_whole_number_is_422_naming_it(sandbox: Sandbox, limit: str) -> None:
    r = sandbox.api.get("/_sandbox/requests", params={"limit": limit})
    assert r.status_code == 422, r.text
    assert r.json()["errors"][0]["field"] == "limit" and "limit" in r.json()["message"]


def test_stats_and_reset(sandbox: Sandbox) -> None:
    sandbox.track(
        attributes=[{"external_id": "u1", "a": 1}], events=[{"external_id": "u1", "name": "e", "time": "2026-01-01"}]
    )
    sandbox.post("/users/track", {"attributes": [{"n": 1}]})
    sandbox.post("/email/status", {"email": "later@x.co", "subscription_state": "unsubscribed"})
    sandbox.faults({"kind": "status", "status": 500, "count": 5})
    assert sandbox.stats() == {
        "requests_by_path": {"/email/status": {"201": 1}, "/users/track": {"201": 1, "400": 1}},
        "requests_total": 3,
        "objects": {"attributes": 1, "events": 1, "purchases": 0},
        "profiles": 1,
        "data_points": 2,
    }
    assert sandbox.api.post("/_sandbox/reset").json() == {"message": "reset"}
    assert sandbox.stats() == {
        "requests_by_path": {},
        "requests_total": 0,
        "objects": {"attributes": 0, "events": 0, "purchases": 0},
        "profiles": 0,
        "data_points": 0,
    }
    assert sandbox.log(limit=10) == [] and sandbox.api.get("/_sandbox/faults").json() == {"faults": []}
    sandbox.attrs(email="later@x.co")
    assert "email_subscribe" not in sandbox.export(email_address="later@x.co")[0]  # the address state went too
    assert [e["id"] for e in sandbox.log(limit=10)][-1] >= 1


def test_profiles_as_json(sandbox: Sandbox) -> None:
    sandbox.track(attributes=[
        {"external_id": "ada", "email": "ada@x.co", "subscription_groups": [{"subscription_group_id": "9b1f3c1e-6f0e-4a53-9d1a-2b7c8e1d0f55", "subscription_state": "subscribed"}]},
        {"user_alias": {"alias_name": "quiz-9", "alias_label": "quiz"}, "_update_existing_only": False},
    ])  # fmt: skip

    def found(q: str) -> list[str | None]:
        profiles = sandbox.api.get("/_sandbox/profiles", params={"q": q}).json()["profiles"]
        return sorted(p.get("external_id") or p["user_aliases"][0]["alias_name"] for p in profiles)

    assert found("") == ["ada", "quiz-9"]
    assert found("ADA@") == ["ada"] and found("quiz-") == ["quiz-9"] and found("nobody") == []
    ada = sandbox.profile(external_ids=["ada"])
    assert ada["subscription_groups"][0]["subscription_state"] == "subscribed" and ada["data_points"] == 1
    missing = sandbox.api.get("/_sandbox/profiles/nope")
    assert (missing.status_code, missing.json()) == (404, {"message": "Not Found"})


# Braze's email validation refuses `%` and `!` in an address, so the wildcards are in the external
# ids; profiles are listed by email.
LIKE_PROFILES = {"like-100%": "pct@x.co", "like-a_b": "under@x.co", "like-axb": "axb@x.co", "like-bang!": "bang@x.co"}
LIKE_CASES = [
    ("%", ["pct@x.co"]), ("_", ["under@x.co"]), ("!", ["bang@x.co"]),
    ("a_b", ["under@x.co"]), ("0%", ["pct@x.co"]), ("-100%", ["pct@x.co"]),
    ("x.co", ["axb@x.co", "bang@x.co", "pct@x.co", "under@x.co"]),
]  # fmt: skip


def search_is_literal(sandbox: Sandbox) -> None:
    """`%`, `_` and the LIKE escape character in a search are plain characters, in the JSON API and
    the browser; a search for `%` must not list every profile."""
    r = sandbox.track(attributes=[{"external_id": i, "email": e} for i, e in LIKE_PROFILES.items()])
    assert r.json() == {"message": "success", "attributes_processed": 4}
    for q, expected in LIKE_CASES:
        profiles = sandbox.api.get("/_sandbox/profiles", params={"q": q}).json()["profiles"]
        assert sorted(p["email"] for p in profiles) == expected, q
        page = sandbox.browser.get("/_sandbox/ui/", params={"q": q}).text
        assert sorted(re.findall(r'<a href="[^"]*/_sandbox/ui/profiles/[0-9a-f]+">([^<]+)</a>', page)) == expected, q


def test_search_wildcards_are_literal(sandbox: Sandbox) -> None:
    search_is_literal(sandbox)


def test_the_request_log_keeps_the_configured_number(tmp_path: Path) -> None:
    for sandbox in start(tmp_path, request_log_size=3):
        for i in range(5):
            sandbox.attrs(external_id=f"u{i}")
        assert [e["id"] for e in sandbox.log(limit=10)] == [3, 4, 5]
        assert sandbox.stats()["requests_total"] == 5


# -- HTML ------------------------------------------------------------------------------------------


def test_profile_browser_search_and_page(sandbox: Sandbox) -> None:
    sandbox.track(
        attributes=[{"external_id": "c-1", "email": "Viewer@Example.com", "quiz": "<script>alert(1)</script>", "email_subscribe": "opted_in",
                     "subscription_groups": [{"subscription_group_id": "9b1f3c1e-6f0e-4a53-9d1a-2b7c8e1d0f55", "subscription_state": "subscribed"}]},
                    {"external_id": "c-2", "email": "other@example.com"},
                    {"user_alias": {"alias_name": "anon-7", "alias_label": "quiz"}, "_update_existing_only": False}],
        events=[{"external_id": "c-1", "name": "quiz_completed", "time": "2026-01-01T00:00:00Z"}],
        purchases=[{"external_id": "c-1", "product_id": "kit", "currency": "USD", "price": 5, "time": "2026-01-01T00:00:00Z"}],
    )  # fmt: skip
    index = sandbox.browser.get("/_sandbox/ui/")
    assert index.status_code == 200 and "text/html" in index.headers["content-type"]
    assert 'name="viewport"' in index.text and "<script>" not in index.text
    assert "viewer@example.com" in index.text and "other@example.com" in index.text
    for q, expected in (("VIEWER", ["viewer@example.com"]), ("c-2", ["other@example.com"]), ("anon-7", ["anon-7"])):
        page = sandbox.browser.get("/_sandbox/ui/", params={"q": q}).text
        links = re.findall(r'<a href="[^"]*/_sandbox/ui/profiles/[0-9a-f]+">([^<]+)</a>', page)
        assert links == expected or (q == "anon-7" and len(links) == 1), (q, links)
    braze_id = sandbox.export(external_ids=["c-1"])[0]["braze_id"]
    page = sandbox.browser.get(f"/_sandbox/ui/profiles/{braze_id}").text
    assert "\\u003cscript\\u003ealert(1)" in page and "<script>alert" not in page  # escaped
    for text in (
        "quiz_completed",
        "kit",
        "opted_in",
        "9b1f3c1e-6f0e-4a53-9d1a-2b7c8e1d0f55",
        "subscribed",
        "data points",
    ):
        assert text in page
    assert KEY not in page and KEY not in index.text
    missing = sandbox.browser.get("/_sandbox/ui/profiles/nope")
    assert missing.status_code == 404 and "No such profile" in missing.text


def test_request_log_page(sandbox: Sandbox) -> None:
    sandbox.post(
        "/users/track",
        {"attributes": [{"external_id": "u1", "a": 1, "b": 2}]},
    )
    sandbox.post("/users/track", {"attributes": [{"nope": "<b>"}]})
    page = sandbox.browser.get("/_sandbox/ui/requests").text
    assert page.count("/users/track") >= 2 and "\\u003cb\\u003e" in page and "<b>" not in page
    assert KEY not in page


@pytest.fixture
def mounted(tmp_path: Path) -> Iterator[str]:
    engine = create_engine(f"sqlite:///{tmp_path / 'm.db'}")
    app = Starlette(routes=[Mount("/braze-sandbox", create_sandbox_app(engine, SandboxConfig.single_key(KEY)))])
    with serve(app) as base:
        yield base + "/braze-sandbox"
    engine.dispose()


def test_mounted_under_a_prefix(mounted: str) -> None:
    with httpx.Client() as client:
        r = client.post(mounted + "/users/track", json=ONE, headers={"Authorization": f"Bearer {KEY}"})
        assert r.status_code == 201
        assert (
            client.post(mounted + "/users/track/", json=ONE, headers={"Authorization": f"Bearer {KEY}"}).status_code
            == 404
        )
        [entry] = client.get(mounted + "/_sandbox/requests", headers=AUTH).json()["requests"]
        assert entry["path"] == "/users/track"
        to_login = client.get(mounted + "/_sandbox/ui/")
        assert (to_login.status_code, to_login.headers["location"]) == (303, "/braze-sandbox/_sandbox/ui/login")
        signed_in = client.post(mounted + "/_sandbox/ui/login", data={"key": KEY})
        assert (signed_in.status_code, signed_in.headers["location"]) == (303, "/braze-sandbox/_sandbox/ui/")
        assert "Path=/braze-sandbox/_sandbox/ui;" in signed_in.headers["set-cookie"]
        page = client.get(mounted + "/_sandbox/ui/").text
        hrefs = re.findall(r'href="([^"]+)"', page)
        actions = re.findall(r'action="([^"]+)"', page)
        assert hrefs and all(h.startswith("/braze-sandbox/_sandbox/ui/") for h in hrefs + actions), (hrefs, actions)
        assert "/braze-sandbox/_sandbox/ui/" in actions and "/braze-sandbox/_sandbox/ui/logout" in actions
        for href in hrefs:
            assert client.get(mounted.removesuffix("/braze-sandbox") + href).status_code == 200
