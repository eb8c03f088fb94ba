"""If-None-Match, as browsers and proxies send it, against an asset's ETag (its quoted hash)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from zeroparty.adapters.http.assets import etag_matches

ETAG = '"' + "ab" * 32 + '"'


@pytest.mark.parametrize(
    ("header", "matches"),
    [
        (ETAG, True),
        (f"W/{ETAG}", True),  # weak comparison: a revalidating proxy may have weakened it
        (f'"x", {ETAG}', True),
        (f'"x",{ETAG} ,"y"', True),
        ("*", True),
        (None, False),
        ("", False),
        ('"x"', False),
        (ETAG.strip('"'), False),  # unquoted is another tag
        (ETAG[:-2] + '"', False),
    ],
)
def test_if_none_match_names_the_etag_or_not(header: str | None, matches: bool) -> None:
    assert etag_matches(header, ETAG) is matches


@given(
    st.lists(st.text(alphabet=st.characters(blacklist_characters=',"'), max_size=20).map(lambda t: f'"{t}"')), st.data()
)
def test_any_list_of_tags_matches_exactly_when_it_holds_the_etag(tags: list[str], data: st.DataObject) -> None:
    assert etag_matches(", ".join(tags), ETAG) is (ETAG in tags)
    at = data.draw(st.integers(0, len(tags)))
    assert etag_matches(", ".join([*tags[:at], ETAG, *tags[at:]]), ETAG)


@given(st.text(max_size=200))
def test_any_header_text_is_answered_yes_or_no(header: str) -> None:
    assert etag_matches(header, ETAG) in (True, False)
