"""Image assets in the database: one row per asset, its bytes in the row.

The database, not a folder, holds them: a backup of the database (one SQLite file, or PostgreSQL's
dump) is then a backup of everything the pages show, and every `serve` node of a scale-out deployment
reads the same assets without a shared file system. Assets are small (5 MB at most, most far less),
few, written once and served with a year's caching, so the database is not a bottleneck for them.
"""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError

from zeroparty.adapters.db.engine import reader
from zeroparty.adapters.db.metadata import UTCDateTime, metadata
from zeroparty.domain.assets import AssetInfo, AssetName, StoredAsset
from zeroparty.domain.workspaces import DEFAULT_WORKSPACE_ID

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

# Which workspaces added an asset (stored once by content): a workspace lists only its own.
workspace_assets = sa.Table(
    "workspace_assets",
    metadata,
    sa.Column("workspace_id", sa.Integer, sa.ForeignKey("workspaces.id"), primary_key=True),
    sa.Column("sha256", sa.String(64), sa.ForeignKey("assets.sha256"), primary_key=True),
    sa.Column("added_at", UTCDateTime, nullable=False),
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
DELETE = sa.delete(assets)
_LINK = sa.insert(workspace_assets)
_LINKED = sa.select(workspace_assets.c.sha256).where(
    workspace_assets.c.workspace_id == sa.bindparam("b_workspace"), workspace_assets.c.sha256 == sa.bindparam("b_sha")
)
_ANY_LINK = sa.select(workspace_assets.c.sha256).where(workspace_assets.c.sha256 == sa.bindparam("b_sha")).limit(1)


def _own(workspace_id: int) -> sa.Select[tuple[str]]:
    return sa.select(workspace_assets.c.sha256).where(workspace_assets.c.workspace_id == workspace_id)


class SqlAssets:
    """Assets are stored once by content; each workspace sees those it added (`workspace_assets`).
    `get` finds any workspace's: `/assets/{name}` is public, as the pages showing it are."""

    def __init__(self, engine: Engine, *, workspace_id: int = DEFAULT_WORKSPACE_ID) -> None:
        self._engine = engine
        self._workspace_id = workspace_id

    def add(self, asset: StoredAsset) -> tuple[AssetInfo, bool]:
        """Store `asset` unless its content is stored, and link it to the workspace; whether it is
        new to the workspace."""
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
                return (info if kept is None else _info(kept._mapping)), self._link(conn, info)
        except IntegrityError:  # another process stored the same bytes (or linked them) meanwhile
            with reader(self._engine).connect() as conn:
                kept = conn.execute(SELECT_INFO.where(assets.c.sha256 == info.name.sha256)).one()
            with self._engine.begin() as conn:
                return _info(kept._mapping), self._link(conn, info)

    def _link(self, conn: Connection, info: AssetInfo) -> bool:
        params = {"b_workspace": self._workspace_id, "b_sha": info.name.sha256}
        if conn.execute(_LINKED, params).first() is not None:
            return False
        conn.execute(
            _LINK, {"workspace_id": self._workspace_id, "sha256": info.name.sha256, "added_at": info.created_at}
        )
        return True

    def get(self, name: AssetName) -> StoredAsset | None:
        with reader(self._engine).connect() as conn:
            row = conn.execute(SELECT_ONE.where(_is(name))).first()
        return None if row is None else StoredAsset(_info(row._mapping), bytes(row.data))

    def list(self) -> list[AssetInfo]:
        """The workspace's assets, newest first."""
        query = (
            sa.select(*_INFO)
            .where(assets.c.sha256.in_(_own(self._workspace_id)))
            .order_by(assets.c.created_at.desc(), assets.c.sha256)
        )
        with reader(self._engine).connect() as conn:
            return [_info(row._mapping) for row in conn.execute(query)]

    def present(self, names: Iterable[AssetName]) -> set[AssetName]:
        """Those of `names` the workspace has (another workspace's are not there for it)."""
        wanted = set(names)
        if not wanted:
            return set()
        by_hash = sa.select(assets.c.sha256, assets.c.extension).where(
            assets.c.sha256.in_(sorted(n.sha256 for n in wanted)), assets.c.sha256.in_(_own(self._workspace_id))
        )
        with reader(self._engine).connect() as conn:
            stored = {AssetName(r.sha256, r.extension) for r in conn.execute(by_hash)}
        return stored & wanted

    def remove(self, name: AssetName) -> bool:
        """Take the asset out of the workspace; its bytes go when no workspace has it any more."""
        with self._engine.begin() as conn:
            if not conn.execute(SELECT_INFO.where(_is(name))).first():
                return False
            unlinked = conn.execute(
                sa.delete(workspace_assets).where(
                    workspace_assets.c.workspace_id == self._workspace_id, workspace_assets.c.sha256 == name.sha256
                )
            ).rowcount
            if unlinked and conn.execute(_ANY_LINK, {"b_sha": name.sha256}).first() is None:
                conn.execute(DELETE.where(_is(name)))
            return unlinked > 0
