"""/embed.js is answered from memory with its ETag: a matching If-None-Match gets 304, anything
else the script, whatever the header holds."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from starlette.requests import Request

from zeroparty.adapters.http.embed import Script

SCRIPT = Script()


def _request(if_none_match: str | None) -> Request:
    headers = [] if if_none_match is None else [(b"if-none-match", if_none_match.encode("latin-1"))]
    return Request({"type": "http", "method": "GET", "path": "/embed.js", "headers": headers})


def test_the_etag_names_the_content() -> None:
    assert SCRIPT.etag.startswith('"') and len(SCRIPT.etag) == 34
    answer = SCRIPT.answer(_request(None))
    assert answer.status_code == 200 and answer.body == SCRIPT.body
    assert answer.headers["etag"] == SCRIPT.etag


def test_a_matching_tag_among_others_or_weak_is_a_304() -> None:
    for given_tags in (SCRIPT.etag, f'"old", {SCRIPT.etag}', f"W/{SCRIPT.etag}"):
        answer = SCRIPT.answer(_request(given_tags))
        assert answer.status_code == 304 and answer.body == b"", given_tags


@given(st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0xFF), max_size=200))
def test_any_if_none_match_gets_the_script_or_a_304(header: str) -> None:
    answer = SCRIPT.answer(_request(header))
    listed = {tag.strip().removeprefix("W/") for tag in header.split(",")}
    assert answer.status_code == (304 if SCRIPT.etag in listed else 200)
