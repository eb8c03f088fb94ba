from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from zeroparty.domain.braze_instances import resolve_endpoint


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("US-01", "https://rest.iad-01.braze.com"),
        ("eu-02", "https://rest.fra-02.braze.eu"),
        ("https://rest.us-10.braze.com/", "https://rest.us-10.braze.com"),
        ("http://127.0.0.1:9000/braze-sandbox", "http://127.0.0.1:9000/braze-sandbox"),
    ],
)
def test_accepted(given: str, expected: str) -> None:
    assert resolve_endpoint(given) == expected


@pytest.mark.parametrize(
    ("given", "why"),
    [
        ("US-09", "neither a Braze instance"),
        ("http://rest.iad-01.braze.com", "must use https"),
        ("https://rest.iad-10.braze.com", "not a documented Braze REST host"),
        ("https://rest.iad-01.braze.com/users/track", "bare host"),
    ],
)
def test_refused(given: str, why: str) -> None:
    with pytest.raises(ValueError, match=why):
        resolve_endpoint(given)


@pytest.mark.parametrize(
    ("given", "hint"),
    [
        (
            "rest.iad-01.braze.com",
            "'rest.iad-01.braze.com' needs https:// in front: use https://rest.iad-01.braze.com "
            "or the instance name US-01",
        ),
        (
            "rest.fra-02.braze.eu/",
            "'rest.fra-02.braze.eu/' needs https:// in front: use https://rest.fra-02.braze.eu "
            "or the instance name EU-02",
        ),
        (
            "http://rest.iad-03.braze.com",
            "a Braze REST endpoint must use https: use https://rest.iad-03.braze.com or the instance name US-03",
        ),
        ("localhost:9000", "'localhost:9000' needs http:// in front: use http://localhost:9000"),
    ],
)
def test_a_missing_or_wrong_scheme_gets_the_url_to_use(given: str, hint: str) -> None:
    with pytest.raises(ValueError) as raised:
        resolve_endpoint(given)
    assert str(raised.value) == hint


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=80) | st.sampled_from(["https://", "http://[", "https://[::1", "//x", "US-01 "]))
def test_any_text_resolves_or_is_refused_with_a_reason(value: str) -> None:
    try:
        url = resolve_endpoint(value)
    except ValueError as exc:
        assert str(exc)
    else:
        assert url.startswith(("https://", "http://"))
