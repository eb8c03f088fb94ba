"""Image assets in the database: one row per asset, its bytes in the row.

The database, not a folder, holds them: a backup of the database (one SQLite file, or PostgreSQL's
dump) is then a backup of everything the pages show, and every `serve` node of a scale-out deployment
reads the same assets without a shared file system. Assets are small (5 MB at most, most far less),
few, written once and served with a year's caching, so the database is not a bottleneck for them.
"""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from zeroparty.adapters.db.engine import reader
from zeroparty.adapters.db.metadata import UTCDateTime, metadata
from zeroparty.domain.assets import AssetInfo, AssetName, StoredAsset

assets = sa.Table(
    "assets",
    metadata,
    sa.Column("sha256", sa.String(64), primary_key=True),  # of `data`: with the extension, the name
    sa.Column("extension", sa.String(8), nullable=False),
    sa.Column("size", sa.Integer, nullable=False),
    sa.Column("width", sa.Integer, nullable=True),
    sa.Column("height", sa.Integer, nullable=True),
    sa.Column("original_name", sa.String(200), nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("data", sa.LargeBinary, nullable=False),
)

_INFO = (
    assets.c.sha256,
    assets.c.extension,
    assets.c.size,
    assets.c.width,
    assets.c.height,
    assets.c.original_name,
    assets.c.created_at,
)


def _info(m: sa.RowMapping) -> AssetInfo:
    return AssetInfo(
        AssetName(m["sha256"], m["extension"]),
        m["size"],
        m["width"],
        m["height"],
        m["original_name"],
        m["created_at"],
    )


def _is(name: AssetName) -> sa.ColumnElement[bool]:
    return sa.and_(assets.c.sha256 == name.sha256, assets.c.extension == name.extension)


INSERT = sa.insert(assets)
SELECT_INFO = sa.select(*_INFO)
SELECT_ONE = sa.select(*_INFO, assets.c.data)
LIST = sa.select(*_INFO).order_by(assets.c.created_at.desc(), assets.c.sha256)
DELETE = sa.delete(assets)


class SqlAssets:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def add(self, asset: StoredAsset) -> tuple[AssetInfo, bool]:
        info = asset.info
        row = {
            "sha256": info.name.sha256,
            "extension": info.name.extension,
            "size": info.size,
            "width": info.width,
            "height": info.height,
            "original_name": info.original_name,
            "created_at": info.created_at,
            "data": asset.data,
        }
        try:
            with self._engine.begin() as conn:
                kept = conn.execute(SELECT_INFO.where(assets.c.sha256 == info.name.sha256)).first()
                if kept is None:
                    conn.execute(INSERT, row)
                    return info, True
        except IntegrityError:  # another process stored the same bytes meanwhile
            with reader(self._engine).connect() as conn:
                kept = conn.execute(SELECT_INFO.where(assets.c.sha256 == info.name.sha256)).one()
        return _info(kept._mapping), False

    def get(self, name: AssetName) -> StoredAsset | None:
        with reader(self._engine).connect() as conn:
            row = conn.execute(SELECT_ONE.where(_is(name))).first()
        return None if row is None else StoredAsset(_info(row._mapping), bytes(row.data))

    def list(self) -> list[AssetInfo]:
        with reader(self._engine).connect() as conn:
            return [_info(row._mapping) for row in conn.execute(LIST)]

    def present(self, names: Iterable[AssetName]) -> set[AssetName]:
        wanted = set(names)
        if not wanted:
            return set()
        by_hash = sa.select(assets.c.sha256, assets.c.extension).where(
            assets.c.sha256.in_(sorted(n.sha256 for n in wanted))
        )
        with reader(self._engine).connect() as conn:
            stored = {AssetName(r.sha256, r.extension) for r in conn.execute(by_hash)}
        return stored & wanted

    def remove(self, name: AssetName) -> bool:
        with self._engine.begin() as conn:
            return conn.execute(DELETE.where(_is(name))).rowcount > 0
