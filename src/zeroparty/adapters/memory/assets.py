"""The asset store in memory: the twin of adapters/db/assets.py for fast tests of the service."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from zeroparty.domain.assets import AssetInfo, AssetName, DefinitionVersion, StoredAsset


class MemoryAssets:
    def __init__(self) -> None:
        self._assets: dict[AssetName, StoredAsset] = {}

    def add(self, asset: StoredAsset) -> tuple[AssetInfo, bool]:
        kept = self._assets.setdefault(asset.info.name, asset)
        return kept.info, kept is asset

    def get(self, name: AssetName) -> StoredAsset | None:
        return self._assets.get(name)

    def list(self) -> list[AssetInfo]:
        return sorted((a.info for a in self._assets.values()), key=lambda i: (i.created_at, i.name), reverse=True)

    def present(self, names: Iterable[AssetName]) -> set[AssetName]:
        return {n for n in names if n in self._assets}

    def remove(self, name: AssetName) -> bool:
        return self._assets.pop(name, None) is not None


class MemoryPublished:
    """Published definitions, as a test publishes them."""

    def __init__(self) -> None:
        self.versions: list[DefinitionVersion] = []

    def definitions(self) -> Iterator[DefinitionVersion]:
        yield from self.versions
