"""The test send page links to the sandbox's profile browser only for a sandbox on this machine."""

from __future__ import annotations

import pytest

from zeroparty.adapters.http.console.testsend import sandbox_profile_link


@pytest.mark.parametrize(
    ("endpoint", "link"),
    [
        ("http://127.0.0.1:8080/braze-sandbox", "http://127.0.0.1:8080/braze-sandbox/_sandbox/ui/profiles/b%2F1"),
        ("http://localhost:9/", "http://localhost:9/_sandbox/ui/profiles/b%2F1"),
        ("http://[::1]:9", "http://[::1]:9/_sandbox/ui/profiles/b%2F1"),
        ("https://rest.iad-01.braze.com", None),
        ("https://10.0.0.5", None),
    ],
)
def test_only_a_loopback_endpoint_gets_a_profile_link(endpoint: str, link: str | None) -> None:
    assert sandbox_profile_link(endpoint, {"braze_id": "b/1"}) == link


def test_no_link_without_a_profile() -> None:
    assert sandbox_profile_link("http://127.0.0.1:1", None) is None
    assert sandbox_profile_link("http://127.0.0.1:1", {"email": "x@example.com"}) is None
