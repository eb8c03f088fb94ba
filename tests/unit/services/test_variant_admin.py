"""An experience's A/B variants as `zeroparty experiences variants` and the console manage them:
specs are parsed before the store is asked, and a newly published version is told apart from the
variants respondents get."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from zeroparty.domain.experience.variants import BadVariant, Variant
from zeroparty.errors import FieldError, NotFound
from zeroparty.services.ports import StoredVariant
from zeroparty.services.variant_admin import VariantAdmin


class Store:
    """The store's side: each known experience's variants; version N has id 100 + N."""

    def __init__(self, known: dict[str, tuple[StoredVariant, ...]]) -> None:
        self.known = known
        self.replaced: list[tuple[str, list[Variant]]] = []

    def _check(self, slug: str) -> None:
        if slug not in self.known:
            raise NotFound(FieldError("slug", f"no experience '{slug}'"))

    def replace(self, slug: str, variants: Sequence[Variant]) -> tuple[StoredVariant, ...]:
        self._check(slug)
        self.replaced.append((slug, list(variants)))
        self.known[slug] = tuple(StoredVariant(v.name, 100 + v.version, v.version, v.weight) for v in variants)
        return self.known[slug]

    def clear(self, slug: str) -> int:
        self._check(slug)
        had = len(self.known[slug])
        self.known[slug] = ()
        return had

    def list(self, slug: str) -> tuple[StoredVariant, ...]:
        self._check(slug)
        return self.known[slug]


AB = (StoredVariant("A", 103, 3, 50), StoredVariant("B", 104, 4, 50))


def test_specs_are_parsed_into_the_variants_the_store_keeps() -> None:
    store = Store({"quiz": ()})
    made = VariantAdmin(store).set("quiz", ["A=3:50", "B=4:50"])
    assert made == AB
    assert store.replaced == [("quiz", [Variant("A", 3, 50), Variant("B", 4, 50)])]


def test_a_spec_written_wrong_changes_nothing() -> None:
    store = Store({"quiz": AB})
    with pytest.raises(BadVariant, match="NAME=VERSION:WEIGHT"):
        VariantAdmin(store).set("quiz", ["A=3:50", "B=four"])
    assert store.replaced == [] and store.known["quiz"] == AB


def test_clearing_says_how_many_there_were() -> None:
    store = Store({"quiz": AB})
    admin = VariantAdmin(store)
    assert admin.clear("quiz") == 2
    assert admin.variants("quiz") == ()
    assert admin.clear("quiz") == 0


def test_an_unknown_experience_is_not_found() -> None:
    admin = VariantAdmin(Store({}))
    with pytest.raises(NotFound):
        admin.variants("nope")
    with pytest.raises(NotFound):
        admin.set("nope", ["A=1:1", "B=2:1"])


@pytest.mark.parametrize(
    ("current", "version", "instead"),
    [
        ((), 5, ()),  # no variants: the new version is served
        (AB, 4, ()),  # a variant serves it
        (AB, 5, AB),  # the variants decide, not the new version
    ],
)
def test_what_is_served_instead_of_a_new_version(
    current: tuple[StoredVariant, ...], version: int, instead: tuple[StoredVariant, ...]
) -> None:
    assert VariantAdmin(Store({"quiz": current})).served_instead("quiz", version) == instead
