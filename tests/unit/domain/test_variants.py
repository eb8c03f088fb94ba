"""A/B variants: how the operator writes them, how they are checked, and the weighted draw."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from zeroparty.domain.experience.variants import BadVariant, Variant, draw, parse_variant, shares, variant_problems


def test_a_variant_is_name_version_and_weight() -> None:
    assert parse_variant("A=3:50") == Variant("A", 3, 50)
    assert parse_variant("long_name_2=12:1") == Variant("long_name_2", 12, 1)


@pytest.mark.parametrize(
    ("spec", "says"),
    [
        ("A3:50", "NAME=VERSION:WEIGHT"),
        ("A=3", "NAME=VERSION:WEIGHT"),
        ("2b=3:50", "name '2b'"),
        ("A=x:50", "version 'x' of A"),
        ("A=0:50", "version '0' of A"),
        ("A=3:0", "weight '0' of A must be a whole number from 1 to 100"),
        ("A=3:101", "weight '101'"),
        ("A=3:5.5", "weight '5.5'"),
        ("A=3:-1", "weight '-1'"),
    ],
)
def test_a_badly_written_variant_says_what_is_wrong(spec: str, says: str) -> None:
    with pytest.raises(BadVariant, match=says.replace("(", r"\(")):
        parse_variant(spec)


@given(st.text(max_size=40))
def test_any_text_is_a_variant_or_a_bad_variant_never_a_crash(spec: str) -> None:
    try:
        found = parse_variant(spec)
    except BadVariant as exc:
        assert "\x00" not in str(exc) and "\n" not in str(exc)  # shown through repr
    else:
        assert 1 <= found.weight <= 100 and found.version >= 1 and f"{found.name}={found.version}:" in spec


def test_variants_must_name_published_versions_with_the_same_hidden_fields() -> None:
    keys = {1: frozenset({"utm_source"}), 2: frozenset({"utm_source"}), 3: frozenset()}
    assert variant_problems([Variant("A", 1, 50), Variant("B", 2, 50)], keys, "quiz") == []
    assert variant_problems([Variant("A", 1, 50)], keys, "quiz") == [("variants", "give 2 to 10 variants, got 1")]
    assert variant_problems([Variant("A", 1, 50), Variant("A", 2, 50)], keys, "quiz") == [("A", "is named twice")]
    assert variant_problems([Variant("A", 1, 50), Variant("B", 9, 50)], keys, "quiz") == [
        ("B", "'quiz' has no published version 9")
    ]
    assert variant_problems([Variant("A", 1, 50), Variant("B", 3, 50)], keys, "quiz") == [
        ("B", "version 3 declares other hidden fields than version 1")
    ]


def test_the_draw_follows_the_weights_in_order() -> None:
    assert [draw([30, 70], u) for u in (0.0, 0.29, 0.3, 0.99, 0.999999)] == [0, 0, 1, 1, 1]
    assert draw([1, 1, 1], 2 / 3) == 2
    with pytest.raises(ValueError):
        draw([], 0.5)


@settings(max_examples=30, deadline=None)
@given(st.lists(st.integers(1, 100), min_size=2, max_size=5), st.integers(0, 2**32 - 1))
def test_observed_shares_converge_on_the_weights(weights: list[int], seed: int) -> None:
    rng = random.Random(seed)
    n = 20_000
    counts = [0] * len(weights)
    for _ in range(n):
        counts[draw(weights, rng.random())] += 1
    expected = shares([Variant(f"v{i}", 1, w) for i, w in enumerate(weights)])
    for i, count in enumerate(counts):
        # Five standard deviations of a binomial share: fails by chance about once in 3.5 million.
        p = expected[f"v{i}"]
        assert abs(count / n - p) <= 5 * (p * (1 - p) / n) ** 0.5 + 1e-9
