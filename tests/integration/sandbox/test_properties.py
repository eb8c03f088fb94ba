"""Property tests over real HTTP: valid payloads are accepted with matching counts; no payload,
however malformed, gets a 5xx."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.integration.sandbox.conftest import Sandbox, start
from zeroparty.sandbox.rules.profile_ops import STANDARD_FIELDS
from zeroparty.sandbox.rules.validation import CONTROL_KEYS, IDENTIFIER_KEYS

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

names = st.from_regex(r"[a-z][a-z0-9_]{0,20}", fullmatch=True).filter(
    lambda n: n not in STANDARD_FIELDS | CONTROL_KEYS | IDENTIFIER_KEYS | {"phone", "email_subscription_info"}
)
scalars = st.one_of(
    st.integers(-(10**9), 10**9),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.booleans(),
    st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=40),
)
identifiers = st.one_of(
    st.fixed_dictionaries(
        {"external_id": st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), min_size=1, max_size=40)}
    ),
    st.fixed_dictionaries({"email": st.from_regex(r"[a-z]{1,8}@[a-z]{1,8}\.(com|org)", fullmatch=True)}),
)
times = st.datetimes(timezones=st.just(__import__("datetime").UTC)).map(lambda d: d.isoformat())
attributes = st.builds(
    lambda ident, attrs: {**ident, **attrs}, identifiers, st.dictionaries(names, scalars, max_size=5)
)
events = st.builds(
    lambda ident, name, t, props: {**ident, "name": name, "time": t, "properties": props},
    identifiers,
    st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), min_size=1, max_size=40),
    times,
    st.dictionaries(
        names.filter(lambda n: n not in ("time", "event_name")), st.integers(0, 100) | st.text(max_size=20), max_size=3
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
    st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), min_size=1, max_size=40),
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
