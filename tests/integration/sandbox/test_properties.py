"""Property tests over real HTTP: valid payloads are accepted with matching counts; no payload,
however malformed, gets a 5xx."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tests.integration.sandbox.conftest import Sandbox, start
from zeroparty.sandbox.rules.fields import IGNORED_FIELDS, STANDARD_FIELDS
from zeroparty.sandbox.rules.validation import CONTROL_KEYS, IDENTIFIER_KEYS

# Any character but lone surrogates, and NUL, which the sandbox refuses (PostgreSQL cannot store it).
TEXT = st.characters(codec="utf-8", exclude_categories=["Cs"], exclude_characters="\x00")
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

names = st.from_regex(r"[a-z][a-z0-9_]{0,20}", fullmatch=True).filter(
    lambda n: n not in STANDARD_FIELDS | CONTROL_KEYS | IDENTIFIER_KEYS | IGNORED_FIELDS | {"email_subscription_info"}
)
scalars = st.one_of(
    st.integers(-(10**9), 10**9),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.booleans(),
    st.text(TEXT, max_size=40),
)
identifiers = st.one_of(
    st.fixed_dictionaries({"external_id": st.text(TEXT, min_size=1, max_size=40)}),
    st.fixed_dictionaries({"email": st.from_regex(r"[a-z]{1,8}@[a-z]{1,8}\.(com|org)", fullmatch=True)}),
)
times = st.datetimes(timezones=st.just(__import__("datetime").UTC)).map(lambda d: d.isoformat())
attributes = st.builds(
    lambda ident, attrs: {**ident, **attrs}, identifiers, st.dictionaries(names, scalars, max_size=5)
)
events = st.builds(
    lambda ident, name, t, props: {**ident, "name": name, "time": t, "properties": props},
    identifiers,
    st.text(TEXT, min_size=1, max_size=40),
    times,
    st.dictionaries(
        names.filter(lambda n: n not in ("time", "event_name")),
        st.integers(0, 100) | st.text(TEXT, max_size=20),
        max_size=3,
    ),
)
purchases = st.builds(
    lambda ident, product, price, qty, t: {
        **ident,
        "product_id": product,
        "currency": "USD",
        "price": price,
        "quantity": qty,
        "time": t,
    },
    identifiers,
    st.text(TEXT, min_size=1, max_size=40),
    st.floats(0, 10_000, allow_nan=False),
    st.integers(1, 100),
    times,
)


@st.composite
def valid_bodies(draw: st.DrawFn) -> dict[str, Any]:
    body: dict[str, Any] = {}
    budget = 75
    for key, strategy in (("attributes", attributes), ("events", events), ("purchases", purchases)):
        items = draw(st.lists(strategy, max_size=min(budget, 10)))
        if items:
            body[key] = items
            budget -= len(items)
    if not body:
        body["attributes"] = [draw(attributes)]
    return body


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    yield from start(tmp_path_factory.mktemp("props"), track_rate_limit=1_000_000)


@SETTINGS
@given(body=valid_bodies())
def test_valid_payloads_are_accepted_with_matching_counts(sandbox: Sandbox, body: dict[str, Any]) -> None:
    r = sandbox.post("/users/track", body)
    assert r.status_code == 201, r.text
    answer = r.json()
    assert "errors" not in answer, answer
    assert answer == {"message": "success", **{f"{k}_processed": len(v) for k, v in body.items()}}


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=30),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=20,
)
operators = st.dictionaries(
    st.sampled_from(["add", "remove", "inc", "$add", "$remove", "$update", "$time", "$identifier_key", "$new_object"]),
    json_values
    | st.lists(
        json_values
        | st.dictionaries(
            st.sampled_from(["$identifier_key", "$identifier_value", "$new_object", "k"]), json_values, max_size=3
        ),
        max_size=3,
    ),
    min_size=1,
    max_size=2,
)
tracky = st.dictionaries(
    st.sampled_from(["attributes", "events", "purchases", "other"]),
    st.lists(
        st.dictionaries(
            st.sampled_from(
                [
                    "external_id",
                    "email",
                    "user_alias",
                    "braze_id",
                    "name",
                    "time",
                    "product_id",
                    "price",
                    "quantity",
                    "currency",
                    "properties",
                    "x",
                    "_merge_objects",
                    "tags",
                ]
            ),
            json_values | operators,
            max_size=6,
        ),
        max_size=5,
    )
    | json_values,
    max_size=3,
)
# Objects that pass the identifier check, so odd values reach the profile semantics.
identified_odd = st.builds(
    lambda ident, attrs: {**ident, **attrs}, identifiers, st.dictionaries(names, json_values | operators, max_size=4)
)
odd_track = st.builds(lambda objs: {"attributes": objs}, st.lists(identified_odd, min_size=1, max_size=5))
PATHS = [
    "/users/track",
    "/users/export/ids",
    "/users/identify",
    "/users/merge",
    "/users/delete",
    "/users/alias/new",
    "/users/alias/update",
    "/subscription/status/set",
    "/v2/subscription/status/set",
    "/email/status",
]


@SETTINGS
@given(path=st.sampled_from(PATHS), body=st.one_of(tracky, json_values, odd_track, odd_track))
def test_no_json_payload_gets_a_5xx(sandbox: Sandbox, path: str, body: Any) -> None:
    r = sandbox.client.post(
        sandbox.base + path,
        content=json.dumps(body),
        headers={"Authorization": "Bearer sbx-test-key", "Content-Type": "application/json"},
    )
    assert r.status_code < 500, (path, body, r.text)
    assert "message" in r.json()


@SETTINGS
@given(raw=st.binary(max_size=200))
def test_no_byte_string_gets_a_5xx(sandbox: Sandbox, raw: bytes) -> None:
    r = sandbox.client.post(
        sandbox.base + "/users/track",
        content=raw,
        headers={"Authorization": "Bearer sbx-test-key", "Content-Type": "application/json"},
    )
    assert r.status_code < 500


@SETTINGS
@given(body=odd_track)
def test_odd_attribute_values_never_get_a_5xx(sandbox: Sandbox, body: dict[str, Any]) -> None:
    r = sandbox.post("/users/track", body)
    assert r.status_code in (201, 400), (body, r.text)


# -- sequences of identity operations over a small pool of users ------------------------------------

POOL_IDS = ["p1", "p2", "p3"]
POOL_EMAILS = ["a@pool.co", "b@pool.co"]
POOL_ALIASES = [{"alias_name": n, "alias_label": "l"} for n in ("x", "y")]
PRIORITIES = st.sampled_from(
    [["unidentified", "most_recently_updated"], ["identified"], ["most_recently_updated"], ["unidentified"]]
)
refs = st.one_of(
    st.builds(lambda i: {"external_id": i}, st.sampled_from(POOL_IDS)),
    st.builds(lambda a: {"user_alias": a}, st.sampled_from(POOL_ALIASES)),
    st.builds(lambda e, p: {"email": e, "prioritization": p}, st.sampled_from(POOL_EMAILS), PRIORITIES),
)
track_objects = st.one_of(
    st.builds(lambda i, e: {"external_id": i, "email": e, "n": 1}, st.sampled_from(POOL_IDS), st.sampled_from(POOL_EMAILS)),
    st.builds(lambda e: {"email": e, "m": 2}, st.sampled_from(POOL_EMAILS)),
    st.builds(lambda a, e: {"user_alias": a, "_update_existing_only": False, "email": e}, st.sampled_from(POOL_ALIASES), st.sampled_from(POOL_EMAILS)),
)  # fmt: skip
operations = st.one_of(
    st.tuples(st.just("/users/track"), st.builds(lambda objs: {"attributes": objs}, st.lists(track_objects, min_size=1, max_size=3))),
    st.tuples(st.just("/users/alias/new"), st.builds(lambda a, i: {"user_aliases": [{**a, **({"external_id": i} if i else {})}]}, st.sampled_from(POOL_ALIASES), st.sampled_from([None, *POOL_IDS]))),
    st.tuples(st.just("/users/identify"), st.builds(lambda a, i, m: {"aliases_to_identify": [{"external_id": i, "user_alias": a}], "merge_behavior": m}, st.sampled_from(POOL_ALIASES), st.sampled_from(POOL_IDS), st.sampled_from(["none", "merge"]))),
    st.tuples(st.just("/users/identify"), st.builds(lambda e, i, p: {"emails_to_identify": [{"external_id": i, "email": e, "prioritization": p}]}, st.sampled_from(POOL_EMAILS), st.sampled_from(POOL_IDS), PRIORITIES)),
    st.tuples(st.just("/users/merge"), st.builds(lambda g, k: {"merge_updates": [{"identifier_to_merge": g, "identifier_to_keep": k}]}, refs, refs)),
    st.tuples(st.just("/users/delete"), st.sampled_from([{"external_ids": POOL_IDS[:1]}, {"user_aliases": POOL_ALIASES[:1]}, {"email_addresses": POOL_EMAILS[:1]}])),
)  # fmt: skip


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=st.lists(operations, min_size=1, max_size=8))
def test_identity_operations_never_5xx_and_keep_identifiers_unique(
    sandbox: Sandbox, ops: list[tuple[str, Any]]
) -> None:
    sandbox.reset()
    for path, body in ops:
        r = sandbox.post(path, body)
        assert r.status_code in (201, 202), (path, body, r.text)
    for external_id in POOL_IDS:
        assert len(sandbox.export(external_ids=[external_id])) <= 1
    for alias in POOL_ALIASES:
        owners = sandbox.export(user_aliases=[alias])
        assert len(owners) <= 1 and all(alias in u["user_aliases"] for u in owners)
    assert sandbox.stats()["profiles"] == len(sandbox.api.get("/_sandbox/profiles").json()["profiles"])


# -- text that is not Unicode, numbers no double holds, query parameters ---------------------------

# Any text, lone surrogates and NUL included; half the examples hold one for sure (they are rare otherwise).
_SOME_TEXT = st.text(st.characters(codec=None), max_size=8)
ANY_TEXT = _SOME_TEXT | st.builds(
    lambda a, bad, b: a + bad + b, _SOME_TEXT, st.characters(categories=["Cs"]) | st.just("\x00"), _SOME_TEXT
)
numbers_literal = st.one_of(
    st.integers(-(10**400), 10**400).map(str),
    st.builds(lambda m, e: f"{m}e{e}", st.integers(-(10**6), 10**6), st.integers(-500, 500)),
)


def _listings_answer(sandbox: Sandbox) -> None:
    for path in ("/_sandbox/profiles", "/_sandbox/requests?limit=50", "/_sandbox/stats"):
        assert sandbox.api.get(path).status_code == 200, path
    for path in ("/_sandbox/ui/", "/_sandbox/ui/requests"):
        assert sandbox.browser.get(path).status_code == 200, path


@SETTINGS
@given(
    field=st.sampled_from(["external_id", "email", "value", "key", "event_name"]),
    text=ANY_TEXT,
)
@example(field="external_id", text="\ud800\udc00")  # a surrogate pair: one valid character, U+10000
@example(field="value", text="a\ud800")
def test_any_text_is_stored_whole_or_refused_with_400_and_listings_stay_readable(
    sandbox: Sandbox, field: str, text: str
) -> None:
    obj: dict[str, Any] = {"external_id": "text-probe", "a": 1}
    if field in ("external_id", "email"):
        obj = {field: text, "a": 1}
    elif field == "value":
        obj["a"] = text
    elif field == "key":
        obj[text] = 1
    body = (
        {"events": [{"external_id": "text-probe", "name": text, "time": "2026-01-01"}]}
        if field == "event_name"
        else {"attributes": [obj]}
    )
    raw = json.dumps(body)  # ensure_ascii: a lone surrogate travels as a \u escape, as a probe sends it
    r = sandbox.client.post(
        sandbox.base + "/users/track",
        content=raw,
        headers={"Authorization": "Bearer sbx-test-key", "Content-Type": "application/json"},
    )
    assert r.status_code in (201, 400), (body, r.text)
    # As the sandbox reads it: a high and a low surrogate escaped side by side are one character.
    received = json.loads(json.dumps(text))
    if any("\ud800" <= c <= "\udfff" or c == "\x00" for c in received):
        assert r.status_code == 400 and r.json()["message"].startswith("Error while parsing"), r.text
    _listings_answer(sandbox)


@SETTINGS
@given(literal=numbers_literal, where=st.sampled_from(["value", "inc", "price", "property"]))
def test_any_number_is_kept_or_refused_and_listings_stay_readable(sandbox: Sandbox, literal: str, where: str) -> None:
    templates = {
        "value": '{"attributes": [{"external_id": "num-probe", "n": %s}]}',
        "inc": '{"attributes": [{"external_id": "num-probe", "n": {"inc": %s}}]}',
        "price": '{"purchases": [{"external_id": "num-probe", "product_id": "p", "currency": "USD", "price": %s, "time": "2026-01-01"}]}',
        "property": '{"events": [{"external_id": "num-probe", "name": "e", "time": "2026-01-01", "properties": {"n": %s}}]}',
    }
    r = sandbox.client.post(
        sandbox.base + "/users/track",
        content=templates[where] % literal,
        headers={"Authorization": "Bearer sbx-test-key", "Content-Type": "application/json"},
    )
    assert r.status_code in (201, 400), (literal, r.text)
    if abs(float(json.loads(literal, parse_int=float))) == float("inf"):
        assert r.status_code == 400, literal
    _listings_answer(sandbox)
    assert sandbox.post("/users/export/ids", {"external_ids": ["num-probe"]}).status_code == 201


@SETTINGS
@given(limit=st.text(max_size=30))
def test_any_request_log_limit_is_answered_or_refused_naming_it(sandbox: Sandbox, limit: str) -> None:
    r = sandbox.api.get("/_sandbox/requests", params={"limit": limit})
    assert r.status_code in (200, 422), (limit, r.text)
    if r.status_code == 422:
        assert r.json()["errors"][0]["field"] == "limit"
    else:
        assert len(r.json()["requests"]) <= int(limit)
