"""The asset store's contract, on SQLite, PostgreSQL and the in-memory twin alike: bytes kept exactly,
adding the same content twice keeps the first, and removing is by exact name."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.support.databases import STORES, store_for
from tests.support.images import LOGO_SVG, image_bytes
from zeroparty.adapters.db.assets import SqlAssets
from zeroparty.adapters.db.engine import create_engine
from zeroparty.adapters.db.migrate import upgrade
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
