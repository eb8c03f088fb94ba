"""Property-based fuzzing of every entry point respondents reach, over real HTTP: whatever arrives, the
answer is never a 5xx, and a 4xx stores nothing. Budgets are bounded so this runs in `make test`
(about 650 requests in all; docs/security.md records what it found)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable

from tests.support.stack import Stack, running_stack

URL = "/api/v1/experiences/skin-quiz/responses"
ELEMENTS = ["skin_type", "skin_goals", "routine_length", "email", "first_name", "marketing_opt_in"]
FUZZ = settings(
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    with running_stack(tmp_path_factory.mktemp("fuzz"), worker=False) as s:
        yield s


# Text as hostile clients send it: any code point, lone surrogates and control characters included.
hostile_text = st.text(st.characters(codec=None, categories=None), max_size=40) | st.sampled_from(
    ["", " ", "\x00", "\ud800", "a\udfffb", "\x1b[31m", "dry", "ada@example.com", "x" * 300]
)
scalars = st.none() | st.booleans() | st.integers() | st.floats() | hostile_text
json_values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.sampled_from(ELEMENTS) | hostile_text, inner, max_size=4)
    ),
    max_leaves=12,
)
bodies = st.fixed_dictionaries(
    {},
    optional={
        "answers": st.dictionaries(st.sampled_from(ELEMENTS) | hostile_text, json_values, max_size=6) | json_values,
        "inputs": st.dictionaries(st.sampled_from(ELEMENTS) | hostile_text, json_values, max_size=6) | json_values,
        "extra": json_values,
    },
)


def _assert_outcome(stack: Stack, before: dict[str, int], r: httpx.Response) -> None:
    assert r.status_code < 500, r.text
    after = stack.row_counts()
    if r.status_code >= 400:
        assert after == before, (r.status_code, r.text)
    else:
        assert after["responses"] == before["responses"] + 1


@settings(FUZZ, max_examples=200)
@given(body=bodies)
def test_the_json_api_never_fails_and_never_half_stores(stack: Stack, body: dict[str, Any]) -> None:
    before = stack.row_counts()
    # ensure_ascii writes lone surrogates as \\uXXXX escapes, exactly as a hostile client would.
    raw = json.dumps(body, ensure_ascii=True, allow_nan=True).encode()
    r = httpx.post(stack.base + URL, content=raw, headers={"content-type": "application/json"})
    _assert_outcome(stack, before, r)


@settings(FUZZ, max_examples=100)
@given(raw=st.binary(max_size=300) | bodies.map(lambda b: json.dumps(b).encode()[: len(json.dumps(b)) // 2]))
def test_the_json_api_survives_arbitrary_bytes(stack: Stack, raw: bytes) -> None:
    before = stack.row_counts()
    r = httpx.post(stack.base + URL, content=raw, headers={"content-type": "application/json"})
    _assert_outcome(stack, before, r)


def _form_part(text: str | bytes) -> str:
    return quote(text, safe="") if isinstance(text, bytes) else quote(text.encode("utf-8", "surrogatepass"), safe="")


form_fields = st.lists(
    st.tuples(st.sampled_from(ELEMENTS) | hostile_text, hostile_text | st.binary(max_size=12)), max_size=8
)


@settings(FUZZ, max_examples=150)
@given(fields=form_fields)
def test_the_hosted_form_never_fails_and_never_half_stores(stack: Stack, fields: list[tuple[str, Any]]) -> None:
    before = stack.row_counts()
    body = "&".join(f"{_form_part(n)}={_form_part(v)}" for n, v in fields)
    r = httpx.post(
        f"{stack.base}/e/skin-quiz", content=body, headers={"content-type": "application/x-www-form-urlencoded"}
    )
    assert r.status_code < 500, r.text
    after = stack.row_counts()
    if r.status_code >= 400:
        assert after == before
    else:
        assert r.status_code == 303 and after["responses"] == before["responses"] + 1


def _operations(stack: Stack) -> list[Any]:
    spec = httpx.get(stack.base + "/openapi.json", headers=stack.auth).json()
    schema = schemathesis.openapi.from_dict(spec)
    results = list(schema.get_all_operations())
    return [r.ok() for r in results if isinstance(r, schemathesis.core.result.Ok)]


def test_schemathesis_finds_no_server_error_in_the_documented_api(stack: Stack) -> None:
    operations = _operations(stack)
    assert {op.path for op in operations} >= {"/api/v1/experiences/{slug}/responses", "/api/v1/responses/{response_id}"}
    for op in operations:
        for mode in (schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE):

            @settings(
                FUZZ, max_examples=25, suppress_health_check=[*FUZZ.suppress_health_check, HealthCheck.filter_too_much]
            )
            @given(case=op.as_strategy(generation_mode=mode))
            def call(case: Any) -> None:
                before = stack.row_counts()
                r = case.call(base_url=stack.base, headers=stack.auth)
                assert r.status_code < 500, (case.method, case.formatted_path, r.status_code, r.text)
                if r.status_code >= 400:
                    assert stack.row_counts() == before

            try:
                call()
            except Unsatisfiable:
                # A read whose only parameter is a free string has no invalid variant to generate.
                assert mode is schemathesis.GenerationMode.NEGATIVE and op.method.upper() == "GET"
