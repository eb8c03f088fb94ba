from __future__ import annotations

import pytest

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
