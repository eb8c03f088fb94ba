"""The untrusted-input rules, as properties: JSON bodies are UTF-8 without a BOM."""

from __future__ import annotations

import codecs
import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from zeroparty.domain.untrusted import parse_json
from zeroparty.errors import MalformedInput

# Documents the parser takes: plain text, finite numbers of bounded size, shallow nesting.
plain_text = st.text(st.characters(categories=["L", "N", "P", "S", "Zs"]), max_size=12)
documents = st.recursive(
    st.none() | st.booleans() | st.integers(-(10**15), 10**15) | st.floats(allow_nan=False, allow_infinity=False)
    | plain_text,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(plain_text, inner, max_size=4),
    max_leaves=12,
)  # fmt: skip
OTHER_ENCODINGS = ["utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-32-le", "utf-32-be", "utf-8-sig"]


def _refusal(raw: bytes) -> str:
    with pytest.raises(MalformedInput) as caught:
        parse_json(raw)
    (problem,) = caught.value.errors
    assert problem.field == "body"
    return problem.message


@given(doc=documents)
def test_a_document_in_utf8_reads_back_as_sent(doc: Any) -> None:
    assert parse_json(json.dumps(doc, ensure_ascii=False).encode("utf-8")) == doc


@given(doc=documents, encoding=st.sampled_from(OTHER_ENCODINGS))
def test_a_document_in_any_other_encoding_or_with_a_bom_is_refused(doc: Any, encoding: str) -> None:
    message = _refusal(json.dumps(doc, ensure_ascii=False).encode(encoding))
    assert "UTF-8" in message


@pytest.mark.parametrize(
    ("raw", "says"),
    [
        (codecs.BOM_UTF8 + b"{}", "starts with a UTF-8 byte order mark; send UTF-8 without one"),
        (codecs.BOM_UTF16_LE + "{}".encode("utf-16-le"), "is UTF-16 (it starts with its byte order mark)"),
        (codecs.BOM_UTF16_BE + "{}".encode("utf-16-be"), "is UTF-16 (it starts with its byte order mark)"),
        (codecs.BOM_UTF32_LE + "{}".encode("utf-32-le"), "is UTF-32 (it starts with its byte order mark)"),
        (codecs.BOM_UTF32_BE + "{}".encode("utf-32-be"), "is UTF-32 (it starts with its byte order mark)"),
        ('{"a": 1}'.encode("utf-16-le"), "is not UTF-8: it holds NUL bytes, as UTF-16 and UTF-32 text does"),
        ('{"a": 1}'.encode("utf-32-be"), "is not UTF-8: it holds NUL bytes, as UTF-16 and UTF-32 text does"),
        (b'{"a": "\xe9"}', "is not valid UTF-8"),
    ],
)
def test_each_refusal_says_why(raw: bytes, says: str) -> None:
    assert says in _refusal(raw)
