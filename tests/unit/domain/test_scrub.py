"""The key scrubber: no run of 8 or more characters of the key survives, in any case."""

from __future__ import annotations

import string

from hypothesis import given
from hypothesis import strategies as st

from zeroparty.domain.scrub import MIN_RUN, peek, redact_key, scrub, scrub_json

KEY = "8c3f1e2a-5b7d-4e9f-a1c2-d3e4f5a6b7c8"  # Braze REST keys are UUIDs
KEY_ALPHABET = string.ascii_letters + string.digits + "-_"


def survivors(text: str, key: str) -> list[str]:
    """Every run of MIN_RUN characters of `key` (the whole key if shorter) found in `text`, comparing
    character by character without regard to case."""
    n = min(MIN_RUN, len(key))
    folded = [c.casefold() for c in text]
    windows = {tuple(folded[i : i + n]) for i in range(len(text) - n + 1)}
    return [key[i : i + n] for i in range(len(key) - n + 1) if tuple(c.casefold() for c in key[i : i + n]) in windows]


def test_the_whole_key_in_any_case_is_redacted() -> None:
    assert redact_key(f"Invalid API key: {KEY}", KEY) == "Invalid API key: [redacted]"
    assert redact_key(f"Invalid API key: {KEY.upper()}.", KEY) == "Invalid API key: [redacted]."


def test_a_truncated_echo_is_redacted_from_eight_characters_on() -> None:
    assert redact_key(f"key {KEY[:8]}", KEY) == "key [redacted]"
    assert redact_key(f"key {KEY[:7]}", KEY) == f"key {KEY[:7]}"
    assert redact_key(f"...{KEY[20:].swapcase()}", KEY) == "...[redacted]"


def test_two_echoes_make_two_markers_and_the_text_between_stays() -> None:
    assert redact_key(f"{KEY[:12]} and {KEY[-12:]}", KEY) == "[redacted] and [redacted]"


def test_a_short_key_is_redacted_only_whole() -> None:
    assert redact_key("abc ABCD abcd", "abcd") == "abc [redacted] [redacted]"


def test_no_key_changes_nothing() -> None:
    assert redact_key("anything at all", "") == "anything at all"


def test_scrub_makes_lone_surrogates_storable() -> None:
    assert scrub("bad \ud800 text", KEY) == "bad \\ud800 text"
    assert scrub("bad \ud800 text", KEY).encode()


def test_scrub_json_reaches_every_string() -> None:
    body = {"message": f"no {KEY}", "errors": [{"type": KEY.upper(), "index": 0}], KEY: None}
    assert scrub_json(body, KEY) == {
        "message": "no [redacted]",
        "errors": [{"type": "[redacted]", "index": 0}],
        "[redacted]": None,
    }


def test_the_marker_never_joins_its_neighbours_into_a_run_of_the_key() -> None:
    key = "[redacted]-abcdefgh"
    out = redact_key(f"x{key}y", key)
    assert survivors(out, key) == []


@st.composite
def echoes(draw: st.DrawFn) -> tuple[str, str]:
    """A key and a text holding pieces of it (≥ MIN_RUN characters, case changed at random)."""
    key = draw(st.text(KEY_ALPHABET, min_size=MIN_RUN, max_size=40))
    parts: list[str] = []
    for _ in range(draw(st.integers(1, 4))):
        parts.append(draw(st.text(max_size=20)))
        start = draw(st.integers(0, len(key) - MIN_RUN))
        end = draw(st.integers(start + MIN_RUN, len(key)))
        piece = key[start:end]
        flips = draw(st.lists(st.booleans(), min_size=len(piece), max_size=len(piece)))
        parts.append("".join(c.swapcase() if f else c for c, f in zip(piece, flips, strict=True)))
    parts.append(draw(st.text(max_size=20)))
    return key, "".join(parts)


@given(echoes())
def test_no_run_of_the_key_survives(case: tuple[str, str]) -> None:
    key, text = case
    assert survivors(redact_key(text, key), key) == []
    assert survivors(scrub(text, key), key) == []


@given(st.text(KEY_ALPHABET, min_size=MIN_RUN, max_size=40), st.text(max_size=MIN_RUN - 1))
def test_short_texts_are_unchanged(key: str, text: str) -> None:
    assert redact_key(text, key) == text


@given(st.text(string.ascii_lowercase, min_size=MIN_RUN, max_size=40), st.text(string.digits + " .:", max_size=200))
def test_texts_sharing_no_character_with_the_key_are_unchanged(key: str, text: str) -> None:
    assert redact_key(text, key) == text


@given(st.text(max_size=60), st.text(KEY_ALPHABET + "[]", min_size=1, max_size=40))
def test_anything_else_is_unchanged_where_the_key_is_absent(text: str, key: str) -> None:
    out = redact_key(text, key)
    assert survivors(out, key) == []
    if not survivors(text, key):
        assert out == text


@given(st.text(max_size=600), st.integers(min_value=40, max_value=300))
def test_a_peek_is_one_line_within_its_limit_and_peeking_again_changes_nothing(text: str, limit: int) -> None:
    once = peek(text, limit)
    assert len(once) <= limit and "\n" not in once and "\r" not in once
    assert peek(once, limit) == once
    if len(" ".join(text.split())) <= limit:
        assert once == " ".join(text.split())
    else:
        assert once.endswith(f"… ({len(text):,} characters)")


def test_a_peek_of_a_text_already_cut_tells_the_whole_length() -> None:
    assert peek("short start", total=12_345) == "short start… (12,345 characters)"
