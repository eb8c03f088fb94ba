"""The delivery's JSON encoder means what the standard library's strict, compact encoding means,
and fails where it fails: a profile update it accepts carries the same values to Braze."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from zeroparty.domain import json_bytes


def standard(obj: Any) -> bytes:
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode()


scalars = (
    st.none()
    | st.booleans()
    | st.integers()  # beyond 64 bits too
    | st.floats()  # NaN and infinities too
    | st.text()  # lone surrogates too
)
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=5) | st.dictionaries(st.text() | st.integers(), inner, max_size=5)
    ),  # keys that are not text too
    max_leaves=30,
)


def outcome(encode: Any, obj: Any) -> tuple[str, Any]:
    try:
        return "ok", json.loads(encode(obj))
    except (ValueError, TypeError, RecursionError) as exc:
        return "raises", type(exc)


@given(values)
def test_same_values_or_same_failure_as_the_standard_library(obj: Any) -> None:
    ours, theirs = outcome(json_bytes.dumps, obj), outcome(standard, obj)
    if theirs[0] == "ok":
        assert ours == theirs
    else:
        assert ours[0] == "raises" and issubclass(ours[1], (ValueError, TypeError))
        assert issubclass(ours[1], ValueError) == issubclass(theirs[1], ValueError)


@pytest.mark.parametrize(
    ("obj", "error"),
    [
        ({"score": float("nan")}, ValueError),
        ({"score": float("inf")}, ValueError),
        ({"name": "a\ud800"}, UnicodeEncodeError),
        ({"seen": object()}, TypeError),
    ],
    ids=["nan", "infinity", "lone-surrogate", "not-json"],
)
def test_what_json_cannot_carry_is_refused(obj: dict[str, Any], error: type[Exception]) -> None:
    with pytest.raises(error):
        json_bytes.dumps(obj)


def test_compact_utf8_as_sent() -> None:
    obj = {"email": "jürgen@xn--bcher-kva.de", "n": 2**70, "gone": None, "tags": ["a", "b"]}
    assert json_bytes.dumps(obj) == standard(obj)
    assert json_bytes.dumps({"a": 1, "b": "é"}) == '{"a":1,"b":"é"}'.encode()
    assert json_bytes.dumps_text({"k": [1, 2]}) == '{"k":[1,2]}'
