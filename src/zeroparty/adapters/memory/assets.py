"""The asset store in memory: the twin of adapters/db/assets.py for fast tests of the service."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from zeroparty.domain.assets import AssetInfo, AssetName, DefinitionVersion, StoredAsset
from zeroparty.domain.workspaces import DEFAULT_WORKSPACE_ID


class MemoryAssets:
    """One workspace's view: assets are kept once by content, and each workspace sees those it
    added; `get` finds any workspace's (`/assets/{name}` is public). `in_workspace` gives another
    workspace's view of the same assets."""

    def __init__(self, *, workspace_id: int = DEFAULT_WORKSPACE_ID) -> None:
        self._workspace_id = workspace_id
        self._assets: dict[AssetName, StoredAsset] = {}
        self._links: set[tuple[int, str]] = set()  # (workspace id, sha256)

    def in_workspace(self, workspace_id: int) -> MemoryAssets:
        view = MemoryAssets(workspace_id=workspace_id)
        view._assets, view._links = self._assets, self._links
        return view

    def _mine(self, name: AssetName) -> bool:
        return (self._workspace_id, name.sha256) in self._links

    def add(self, asset: StoredAsset) -> tuple[AssetInfo, bool]:
        kept = self._assets.setdefault(asset.info.name, asset)
        linked = not self._mine(asset.info.name)
        self._links.add((self._workspace_id, asset.info.name.sha256))
        return kept.info, linked

    def get(self, name: AssetName) -> StoredAsset | None:
        return self._assets.get(name)

    def list(self) -> list[AssetInfo]:
        mine = (a.info for n, a in self._assets.items() if self._mine(n))
        return sorted(mine, key=lambda i: (i.created_at, i.name), reverse=True)

    def present(self, names: Iterable[AssetName]) -> set[AssetName]:
        return {n for n in names if n in self._assets and self._mine(n)}

    def remove(self, name: AssetName) -> bool:
        if name not in self._assets or not self._mine(name):
            return False
        self._links.discard((self._workspace_id, name.sha256))
        if not any(sha == name.sha256 for _ws, sha in self._links):
            del self._assets[name]
        return True


class MemoryPublished:
    """Published definitions, as a test publishes them."""

    def __init__(self) -> None:
        self.versions: list[DefinitionVersion] = []

    def definitions(self) -> Iterator[DefinitionVersion]:
        yield from self.versions
