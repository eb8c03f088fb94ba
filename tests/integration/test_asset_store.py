"""The asset store's contract, on SQLite, PostgreSQL and the in-memory twin alike: bytes kept exactly,
adding the same content twice keeps the first, and removing is by exact name."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.support.databases import STORES, database_url, store_for
from tests.support.images import LOGO_SVG, image_bytes
from zeroparty.adapters.db.assets import SqlAssets
from zeroparty.adapters.db.engine import create_engine
from zeroparty.adapters.db.migrate import upgrade
from zeroparty.adapters.db.workspaces import SqlWorkspaces
from zeroparty.adapters.memory.assets import MemoryAssets
from zeroparty.domain.assets import AssetInfo, AssetName, StoredAsset, name_for
from zeroparty.services.assets import AssetStore

T0 = datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC)


@dataclass
class SqlWorld:
    engine: sa.Engine
    assets: SqlAssets


def _sql(url: str, _tmp: Path) -> SqlWorld:
    engine = create_engine(url)
    upgrade(engine)
    return SqlWorld(engine, SqlAssets(engine))


@dataclass
class MemoryWorld:
    assets: MemoryAssets


@pytest.fixture(params=STORES)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[AssetStore]:
    with store_for(request.param, tmp_path, _sql, lambda: MemoryWorld(MemoryAssets())) as world:
        yield world.assets


def _asset(data: bytes, extension: str, at: datetime = T0, original: str = "file") -> StoredAsset:
    return StoredAsset(AssetInfo(name_for(data, extension), len(data), 3, 2, original, at), data)


def test_bytes_come_back_exactly_and_the_first_of_equal_contents_is_kept(store: AssetStore) -> None:
    png = _asset(image_bytes("png") + b"\x00\xff", "png")
    assert store.add(png) == (png.info, True)
    again = _asset(png.data, "png", T0 + timedelta(hours=1), "renamed.png")
    assert store.add(again) == (png.info, False)
    assert store.get(png.info.name) == png
    assert store.get(AssetName(png.info.name.sha256, "jpg")) is None  # the extension is part of the name


def test_listing_is_newest_first_and_presence_is_by_exact_name(store: AssetStore) -> None:
    older = _asset(LOGO_SVG, "svg", T0)
    newer = _asset(image_bytes("webp"), "webp", T0 + timedelta(minutes=1))
    for a in (older, newer):
        store.add(a)
    assert [i.name for i in store.list()] == [newer.info.name, older.info.name]
    other = name_for(b"absent", "png")
    wrong_extension = AssetName(older.info.name.sha256, "png")
    assert store.present([older.info.name, other, wrong_extension]) == {older.info.name}
    assert store.present([]) == set()


def test_remove_takes_away_exactly_the_named_asset(store: AssetStore) -> None:
    a, b = _asset(b"a", "png"), _asset(b"b", "png")
    store.add(a)
    store.add(b)
    assert store.remove(a.info.name) and not store.remove(a.info.name)
    assert [i.name for i in store.list()] == [b.info.name]


@dataclass
class TwoWorkspaces:
    mine: AssetStore
    theirs: AssetStore
    engine: sa.Engine | None = None


def _sql_two(url: str, tmp: Path) -> TwoWorkspaces:
    world = _sql(url, tmp)
    other = SqlWorkspaces(world.engine).create("other", "Other", T0)
    return TwoWorkspaces(world.assets, SqlAssets(world.engine, workspace_id=other.id), world.engine)


def _memory_two() -> TwoWorkspaces:
    mine = MemoryAssets()
    return TwoWorkspaces(mine, mine.in_workspace(2))


@pytest.fixture(params=STORES)
def two(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[TwoWorkspaces]:
    if request.param == "memory":
        yield _memory_two()
        return
    with database_url(request.param, tmp_path) as url:
        world = _sql_two(url, tmp_path)
        try:
            yield world
        finally:
            assert world.engine is not None
            world.engine.dispose()


def test_a_workspace_lists_and_removes_only_the_assets_it_added(two: TwoWorkspaces) -> None:
    a, b = _asset(b"a", "png"), _asset(b"b", "png")
    assert two.mine.add(a) == (a.info, True)
    assert [i.name for i in two.theirs.list()] == [] and two.theirs.present([a.info.name]) == set()
    assert not two.theirs.remove(a.info.name)
    assert two.theirs.get(a.info.name) == a  # served to anyone: `/assets/{name}` is public
    # The same bytes added there are stored once, and are theirs as well.
    assert two.theirs.add(_asset(b"a", "png", T0 + timedelta(hours=1), "again.png")) == (a.info, True)
    two.theirs.add(b)
    assert {i.name for i in two.theirs.list()} == {a.info.name, b.info.name}
    assert [i.name for i in two.mine.list()] == [a.info.name]
    assert two.theirs.remove(a.info.name)
    assert two.mine.get(a.info.name) == a and two.mine.present([a.info.name]) == {a.info.name}
    assert two.mine.remove(a.info.name)
    assert two.mine.get(a.info.name) is None  # no workspace has it any more: its bytes go
