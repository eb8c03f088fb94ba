"""A/B variants: an experience served as two or more of its published versions, by weight. Pure.

A variant is a name (an identifier), a published version of the experience and a whole weight
from 1 to 100. A new respondent gets a variant drawn by weight (`draw`): the caller supplies the
random number, so the choice is reproducible in tests. The operator writes variants as
`NAME=VERSION:WEIGHT` (`parse_variant`); a set of them is checked against the versions that exist
(`variant_problems`)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from zeroparty.domain.experience.elements import IDENT

MIN_VARIANTS = 2
MAX_VARIANTS = 10
MAX_WEIGHT = 100
_SPEC = re.compile(r"([^=]*)=([^:]*):(.*)", re.DOTALL)
_NUMBER = re.compile(r"[0-9]{1,9}")


@dataclass(frozen=True)
class Variant:
    name: str
    version: int
    weight: int


class BadVariant(ValueError):
    """A variant written wrong; the message says what is wrong and how to write it."""


def parse_variant(spec: str) -> Variant:
    """`NAME=VERSION:WEIGHT`, as in `A=3:50`; BadVariant otherwise (the text is an operator's,
    shown back only through `repr`, so a control character in it cannot reach a terminal)."""
    found = _SPEC.fullmatch(spec)
    if found is None:
        raise BadVariant(f"{spec!r} is not NAME=VERSION:WEIGHT (for example A=3:50)")
    name, version, weight = found.groups()
    if not re.fullmatch(IDENT, name):
        raise BadVariant(f"name {name!r} must be letters, digits and underscores, starting with a letter")
    if not _NUMBER.fullmatch(version) or int(version) < 1:
        raise BadVariant(f"version {version!r} of {name} must be a version number (1 or more)")
    if not _NUMBER.fullmatch(weight) or not 1 <= int(weight) <= MAX_WEIGHT:
        raise BadVariant(f"weight {weight!r} of {name} must be a whole number from 1 to {MAX_WEIGHT}")
    return Variant(name, int(version), int(weight))


def variant_problems(
    variants: Sequence[Variant], hidden_keys: Mapping[int, frozenset[str]], slug: str
) -> list[tuple[str, str]]:
    """`(variant, message)` per problem with a set of variants of `slug`; `hidden_keys` holds each
    published version's declared hidden field keys. Every variant must name a published version,
    names must differ, there must be MIN_VARIANTS to MAX_VARIANTS of them, and the versions must
    declare the same hidden fields (one link serves them all: its parameters must mean the same)."""
    problems: list[tuple[str, str]] = []
    if not MIN_VARIANTS <= len(variants) <= MAX_VARIANTS:
        problems.append(("variants", f"give {MIN_VARIANTS} to {MAX_VARIANTS} variants, got {len(variants)}"))
    seen: set[str] = set()
    for v in variants:
        if v.name in seen:
            problems.append((v.name, "is named twice"))
        seen.add(v.name)
        if v.version not in hidden_keys:
            problems.append((v.name, f"'{slug}' has no published version {v.version}"))
    first = variants[0] if variants else None
    for v in variants[1:]:
        assert first is not None
        mine, theirs = hidden_keys.get(v.version), hidden_keys.get(first.version)
        if mine is not None and theirs is not None and mine != theirs:
            problems.append((v.name, f"version {v.version} declares other hidden fields than version {first.version}"))
    return problems


def draw(weights: Sequence[int], u: float) -> int:
    """The index chosen for a uniform random `u` in [0, 1): each index with probability weight/total."""
    if not weights or any(w < 1 for w in weights):
        raise ValueError("draw needs at least one weight, each 1 or more")
    point = min(max(u, 0.0), 1.0) * sum(weights)
    for index, weight in enumerate(weights):
        if point < weight:
            return index
        point -= weight
    return len(weights) - 1  # u at (or rounding to) the very top


def shares(variants: Sequence[Variant]) -> dict[str, float]:
    """Each variant's expected share of new respondents, 0 to 1."""
    total = sum(v.weight for v in variants)
    return {v.name: v.weight / total for v in variants} if total else {}
