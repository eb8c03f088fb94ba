"""The untrusted-input rules, as properties: JSON bodies are UTF-8 without a BOM; one-line text holds
no invisible format character, and no text holds a control that reorders it."""

from __future__ import annotations

import codecs
import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from zeroparty.domain.untrusted import definition_text_problem, parse_json, printable, text_problem
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


# -- format characters (Unicode category Cf) ------------------------------------------------------

# Text with no control, surrogate or format character: what every text rule lets through.
ordinary = st.text(st.characters(exclude_categories=["Cc", "Cs", "Cf"]), max_size=20)
visible = st.characters(categories=["L", "M", "N", "P", "S"])
JOINERS = ["\u200c", "\u200d"]  # ZWNJ, ZWJ
BIDI_CONTROLS = [chr(c) for c in [*range(0x202A, 0x202F), *range(0x2066, 0x206A)]]
# Format characters that are drawn (prepended concatenation marks) or shape a script in place.
VISIBLE_OR_SHAPING = {*"\u0600\u0601\u0602\u0603\u0604\u0605\u06dd\u070f\u0890\u0891\u08e2", "\U000110bd"}
VISIBLE_OR_SHAPING |= {"\U000110cd", "\u180e", *JOINERS}
invisible = st.characters(categories=["Cf"]).filter(lambda c: c not in VISIBLE_OR_SHAPING)


@given(text=ordinary)
def test_ordinary_text_passes_every_rule(text: str) -> None:
    assert text_problem(text) is None and text_problem(text, multiline=True) is None


@given(before=ordinary, after=ordinary, char=invisible)
def test_one_line_text_refuses_any_invisible_format_character(before: str, after: str, char: str) -> None:
    problem = text_problem(before + char + after)
    assert problem is not None and f"U+{ord(char):04X}" in problem


@given(before=ordinary, after=ordinary, char=st.sampled_from(BIDI_CONTROLS))
def test_any_text_refuses_bidi_embeddings_overrides_and_isolates(before: str, after: str, char: str) -> None:
    for multiline in (False, True):
        problem = text_problem(before + char + after, multiline=multiline)
        assert problem is not None and f"U+{ord(char):04X}" in problem and "reorders" in problem


@given(before=ordinary, after=ordinary, char=invisible.filter(lambda c: c not in BIDI_CONTROLS))
def test_long_text_keeps_other_format_characters(before: str, after: str, char: str) -> None:
    # Zero-width spaces mark word breaks in Thai and Khmer, soft hyphens hyphenate, marks order bidi text.
    assert text_problem(before + char + after, multiline=True) is None


@given(before=ordinary, left=visible, joiner=st.sampled_from(JOINERS), right=visible, after=ordinary)
def test_a_joiner_after_a_visible_character_is_kept(
    before: str, left: str, joiner: str, right: str, after: str
) -> None:
    for text in (before + left + joiner + right + after, before + left + joiner):
        assert text_problem(text) is None and text_problem(text, multiline=True) is None


@given(after=ordinary, joiner=st.sampled_from(JOINERS), lead=st.sampled_from(["", " ", "a\u200d", "a\u200c"]))
def test_a_joiner_that_joins_nothing_is_refused_in_one_line_text(after: str, joiner: str, lead: str) -> None:
    problem = text_problem(lead + joiner + after)  # at the start, after a space, or after another joiner
    assert problem is not None and f"U+{ord(joiner):04X}" in problem
    assert text_problem(lead + joiner + after, multiline=True) is None


@pytest.mark.parametrize(
    "text",
    [
        "José",
        "Jose\u0301",  # the accent as a combining mark
        "\U0001f468\u200d\U0001f469\u200d\U0001f467",  # family: man, woman, girl (ZWJ sequence)
        "\U0001f3f3\ufe0f\u200d\U0001f308",  # rainbow flag: a ZWJ after a variation selector
        "\U0001f3f4\U000e0067\U000e0062\U000e0065\U000e006e\U000e0067\U000e007f",  # England's flag (tag sequence)
        "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645",  # Persian: a ZWNJ inside a word
        "\u0915\u094d\u200d\u0937",  # Devanagari: a half form by ZWJ after the virama
        "\u0d05\u0d35\u0d28\u0d4d\u200d",  # Malayalam: a chillu written the older way, ZWJ at the word's end
        "\u0600\u0661\u0662",  # the Arabic number sign is drawn
    ],
)
def test_real_writing_is_accepted_as_one_line_text(text: str) -> None:
    assert text_problem(text) is None


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("invoice\u202egnp.exe", "must not contain U+202E, an invisible control that reorders how text is shown"),
        ("Ada\u2066x\u2069", "must not contain U+2066, an invisible control that reorders how text is shown"),
        ("A\u200bda", "must not contain U+200B, an invisible formatting character"),
        ("\ufeffAda", "must not contain U+FEFF, an invisible formatting character"),
        ("Ada\u00ad", "must not contain U+00AD, an invisible formatting character"),
        ("Ada\U000e0041", "must not contain U+E0041, an invisible formatting character"),  # a tag outside a flag
        ("\u200dAda", "may hold U+200D only right after a visible character, which it joins or shapes"),
        ("Ada \u200cLee", "may hold U+200C only right after a visible character, which it joins or shapes"),
    ],
)
def test_each_format_refusal_says_which_character(text: str, says: str) -> None:
    assert text_problem(text) == says


@pytest.mark.parametrize(
    ("text", "multiline", "says"),
    [
        ("Your \u200broutine", False, "must not contain U+200B, an invisible formatting character"),
        ("Two\nlines \u200b", False, "must be one line: tabs and line breaks are allowed only in body and description"),
        ("A long\ntext with a zero\u200bwidth space", True, None),
        ("A long text \u202eturned", True, "must not contain U+202E, an invisible control that reorders how text is shown"),
        ("Done \U0001f469\u200d\U0001f52c", False, None),
    ],
)  # fmt: skip
def test_definition_texts_follow_the_same_rules(text: str, multiline: bool, says: str | None) -> None:
    assert definition_text_problem(text, multiline=multiline) == says


def test_printable_escapes_bidi_controls_too() -> None:
    assert printable("key\u202eevil\u2066") == "key\\u202eevil\\u2066"
