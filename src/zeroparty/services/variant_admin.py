"""An experience's A/B variants as operators manage them (docs/analytics.md "Variants"): show them,
set them from `NAME=VERSION:WEIGHT` specs, clear them, and say when a newly published version is
not what respondents get. `zeroparty experiences variants` is one face of it; the console will be
another. The store answers through `VariantStore`; capture reads variants through its own port."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from zeroparty.domain.experience.variants import Variant, parse_variant
from zeroparty.services.ports import StoredVariant


class VariantStore(Protocol):
    def replace(self, slug: str, variants: Sequence[Variant]) -> tuple[StoredVariant, ...]:
        """Serve `slug` as these variants from now on; InvalidInput naming each bad one (nothing
        changes then), NotFound when there is no such experience."""
        ...

    def clear(self, slug: str) -> int:
        """No variants: the latest version is served again. How many there were; NotFound as above."""
        ...

    def list(self, slug: str) -> tuple[StoredVariant, ...]:
        """The variants `slug` is served as, in the order they were set; NotFound as above."""
        ...


class VariantAdmin:
    def __init__(self, store: VariantStore) -> None:
        self._store = store

    def variants(self, slug: str) -> tuple[StoredVariant, ...]:
        return self._store.list(slug)

    def set(self, slug: str, specs: Sequence[str]) -> tuple[StoredVariant, ...]:
        """Replace `slug`'s variants with the ones `specs` write (`A=3:50`). BadVariant, before the
        store is asked, for the first spec written wrong; the store's refusals otherwise."""
        return self._store.replace(slug, [parse_variant(spec) for spec in specs])

    def clear(self, slug: str) -> int:
        return self._store.clear(slug)

    def served_instead(self, slug: str, version: int) -> tuple[StoredVariant, ...]:
        """The variants respondents get instead of `version`: none when `slug` has no variants or
        one of them serves `version` (publishing it changes what respondents get only then)."""
        served = self._store.list(slug)
        return () if version in {v.version for v in served} else served
