"""Asset names: one spelling per asset, parsed exactly, and found wherever a definition writes them."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from zeroparty.domain.assets import (
    MEDIA_TYPES,
    AssetName,
    is_reference,
    missing,
    name_for,
    parse_file_name,
    parse_name,
    parse_reference,
    references_in,
)

HASH = hashlib.sha256(b"x").hexdigest()
_HEX = st.text("0123456789abcdef", min_size=64, max_size=64)
_NAMES = st.builds(AssetName, _HEX, st.sampled_from(sorted(MEDIA_TYPES)))


def test_a_name_is_the_content_hash_with_its_extension() -> None:
    name = name_for(b"x", "png")
    assert name == AssetName(HASH, "png")
    assert name.reference == f"asset:{HASH}.png" and name.url == f"/assets/{HASH}.png"
    assert name.media_type == "image/png" and AssetName(HASH, "jpg").media_type == "image/jpeg"


@pytest.mark.parametrize(
    "text",
    [
        f"asset:{HASH.upper()}.png",  # one spelling: lower-case hex
        f"asset:{HASH}.PNG",
        f"asset:{HASH}.jpeg",  # JPEG is .jpg
        f"asset:{HASH}.gif",
        f"asset:{HASH[:-1]}.png",
        f"asset:{HASH}0.png",
        f"asset:{HASH}.png ",
        f" asset:{HASH}.png",
        f"asset:{HASH}.png\n",
        f"asset: {HASH}.png",
        f"asset:{HASH}",
        f"Asset:{HASH}.png",
        f"asset:/{HASH}.png",
        "",
    ],
)
def test_anything_but_the_one_spelling_is_not_a_reference(text: str) -> None:
    assert parse_reference(text) is None and not is_reference(text)


@given(_NAMES)
def test_every_name_reads_back_from_each_of_its_spellings(name: AssetName) -> None:
    assert parse_reference(name.reference) == name and parse_file_name(name.file_name) == name
    assert parse_name(name.reference) == name == parse_name(name.file_name)
    assert parse_reference(name.file_name) is None and parse_file_name(name.reference) is None


@given(st.text(max_size=90))
def test_any_text_is_either_exactly_a_name_or_none(text: str) -> None:
    for parse, spell in ((parse_reference, "reference"), (parse_file_name, "file_name")):
        found = parse(text)
        assert found is None or getattr(found, spell) == text
    found = parse_name(text)
    assert found is None or text in (found.reference, found.file_name)


@given(st.text(max_size=40), _NAMES, st.text(max_size=40))
def test_a_reference_is_found_inside_text_unless_it_runs_into_a_longer_word(
    before: str, name: AssetName, after: str
) -> None:
    found = references_in({"body": f"{before}{name.reference}{after}"})
    glued = (before[-1:].isalnum() or before.endswith("_")) or (after[:1].isalnum() or after.startswith("_"))
    if not glued:
        assert name in found
    assert all(isinstance(f, AssetName) for f in found)


def test_references_are_found_anywhere_in_a_definition() -> None:
    a, b, c = (name_for(bytes([i]), "svg") for i in range(3))
    definition = {
        "title": "Quiz",
        "screens": [{"elements": [{"image": a.reference, "choices": [{"image": b.reference}]}]}],
        "outcomes": {"x": {"body": f"Hello ![logo]({c.reference}) and asset:nothing.png"}},
        "count": 3,
        "none": None,
    }
    assert references_in(definition) == {a, b, c}
    assert references_in([b.file_name, f"/assets/{b.file_name}"]) == set()  # only the asset: spelling


def test_missing_names_each_once_in_order() -> None:
    a, b, c = sorted(name_for(bytes([i]), "png") for i in range(3))
    assert missing([c, a, b, c], [b]) == [a, c]
    assert missing([], [a]) == []
