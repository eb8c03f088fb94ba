"""Small pieces of the sandbox's access rules and search, without a server."""

from __future__ import annotations

import pytest

from zeroparty.sandbox.auth import known_key
from zeroparty.sandbox.store import LIKE_ESCAPE, like_literal


@pytest.mark.parametrize(
    ("text", "pattern"),
    [("plain", "plain"), ("%", "!%"), ("_", "!_"), ("!", "!!"), ("a!%_b", "a!!!%!_b"), ("", "")],
)
def test_like_literal_escapes_the_wildcards_and_the_escape_character(text: str, pattern: str) -> None:
    assert LIKE_ESCAPE == "!"
    assert like_literal(text) == pattern


def test_known_key_is_exact() -> None:
    keys = ["alpha-key", "beta-key"]
    assert known_key("beta-key", keys) == "beta-key"
    for wrong in (None, "", "beta", "beta-key ", "BETA-KEY", "beta-keyX"):
        assert known_key(wrong, keys) is None
    assert known_key("é-non-ascii", keys) is None
    assert known_key("alpha-key", []) is None
