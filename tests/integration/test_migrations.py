"""The schemas built by the migrations are exactly the declared ones, on SQLite and PostgreSQL: the
product's (adapters.db) and the sandbox's (its own MetaData and history), alone or sharing one
database, migrated in either order, and from a database made before the sandbox moved out."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine

from tests.support.databases import database_url
from zeroparty.adapters.db import migrate, schema  # schema declares the tables (and is used below)
from zeroparty.adapters.db.engine import create_engine
from zeroparty.adapters.db.metadata import metadata
from zeroparty.adapters.db.workspaces import SqlWorkspaces
from zeroparty.sandbox import SandboxConfig, create_sandbox_app
from zeroparty.sandbox import migrate as sandbox_migrate
from zeroparty.sandbox.tables import metadata as sandbox_metadata

BACKENDS = ["sqlite", "postgres"]
LEGACY_SANDBOX = {"sandbox_profiles", "sandbox_aliases", "sandbox_events", "sandbox_purchases", "sandbox_email_states"}
PRODUCT = set(metadata.tables) | {"alembic_version"}
SANDBOX = set(sandbox_metadata.tables) | {"sandbox_alembic_version"}


def _head(location: Path = migrate.MIGRATIONS) -> str:
    head = ScriptDirectory(str(location)).get_current_head()
    assert head is not None
    return head


HEAD = _head()
SANDBOX_HEAD = _head(sandbox_migrate.MIGRATIONS)


def diff(engine: Engine, declared: sa.MetaData) -> list[object]:
    """What the database lacks or has in excess against `declared`, looking only at its tables."""

    def ours(name: str | None, type_: str, _parents: object) -> bool:
        return type_ != "table" or name in declared.tables

    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"include_name": ours})
        return list(compare_metadata(context, declared))


def tables(engine: Engine) -> set[str]:
    return set(sa.inspect(engine).get_table_names())


def revision(engine: Engine, version_table: str) -> str:
    with engine.connect() as conn:
        return str(conn.execute(sa.text(f"SELECT version_num FROM {version_table}")).scalar_one())


@pytest.fixture(params=BACKENDS)
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    with database_url(request.param, tmp_path) as url:
        e = create_engine(url)
        try:
            yield e
        finally:
            e.dispose()


def test_product_migrations_match_the_declared_schema(engine: Engine) -> None:
    migrate.upgrade(engine)
    migrate.upgrade(engine)  # idempotent: a second start changes nothing
    assert diff(engine, metadata) == []
    assert tables(engine) == PRODUCT  # nothing of the sandbox's: 0004 drops what 0002 created
    assert revision(engine, "alembic_version") == HEAD


def test_sandbox_migrations_match_its_declared_schema(engine: Engine) -> None:
    sandbox_migrate.upgrade(engine)
    sandbox_migrate.upgrade(engine)
    assert diff(engine, sandbox_metadata) == []
    assert tables(engine) == SANDBOX  # a database of its own: none of the product's tables
    assert revision(engine, "sandbox_alembic_version") == SANDBOX_HEAD


def _product_first(engine: Engine) -> None:
    migrate.upgrade(engine)
    sandbox_migrate.upgrade(engine)


def _sandbox_first(engine: Engine) -> None:
    sandbox_migrate.upgrade(engine)
    migrate.upgrade(engine)


@pytest.mark.parametrize("order", [_product_first, _sandbox_first], ids=["product-first", "sandbox-first"])
def test_product_and_sandbox_share_one_database(engine: Engine, order: Callable[[Engine], None]) -> None:
    order(engine)
    order(engine)  # every later start finds both current
    assert diff(engine, metadata) == [] and diff(engine, sandbox_metadata) == []
    assert tables(engine) == PRODUCT | SANDBOX
    assert (revision(engine, "alembic_version"), revision(engine, "sandbox_alembic_version")) == (HEAD, SANDBOX_HEAD)


def test_a_database_from_before_the_move_loses_the_old_sandbox_tables(engine: Engine) -> None:
    command.upgrade(migrate.alembic_config(engine), "0003")  # the schema as released before 0004
    now = datetime.now(UTC)
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO sandbox_profiles (braze_id, fields, custom, data_points, created_at, updated_at) "
                "VALUES ('b1', '{}', '{}', 0, :now, :now)"
            ),
            {"now": now.replace(tzinfo=None) if engine.dialect.name == "sqlite" else now},
        )
        conn.execute(sa.text("INSERT INTO sandbox_aliases VALUES ('n', 'l', 'b1')"))
    assert tables(engine) >= LEGACY_SANDBOX
    sandbox_migrate.upgrade(engine)  # the sandbox may even come first: its tables have other names
    migrate.upgrade(engine)
    assert tables(engine) == PRODUCT | SANDBOX
    assert diff(engine, metadata) == [] and diff(engine, sandbox_metadata) == []


def test_the_product_history_still_goes_down_and_up(engine: Engine) -> None:
    migrate.upgrade(engine)
    command.downgrade(migrate.alembic_config(engine), "0003")
    assert tables(engine) >= LEGACY_SANDBOX  # 0002's schema again, so 0002's own downgrade works
    command.downgrade(migrate.alembic_config(engine), "base")
    assert tables(engine) == {"alembic_version"}
    migrate.upgrade(engine)
    assert diff(engine, metadata) == []


def test_going_below_0009_keeps_every_token_under_a_unique_name(engine: Engine) -> None:
    migrate.upgrade(engine)
    now = datetime.now(UTC)
    with engine.begin() as conn:
        for n, (name, revoked) in enumerate([("ci", now), ("ci", now), ("ci", None), ("old", now), ("old", now)]):
            conn.execute(
                schema.api_tokens.insert().values(
                    workspace_id=1, name=name, token_sha256=f"{n:064d}", hint="…", created_at=now, revoked_at=revoked
                )
            )
    command.downgrade(migrate.alembic_config(engine), "0008")
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT id, name, revoked_at FROM api_tokens ORDER BY id")).all()
    names = [r.name for r in rows]
    assert names == ["ci~1", "ci~2", "ci", "old~4", "old~5"]  # the active one keeps its name
    migrate.upgrade(engine)
    assert diff(engine, metadata) == []


def test_the_sandbox_app_brings_its_schema_up_itself(engine: Engine) -> None:
    create_sandbox_app(engine, SandboxConfig.single_key("k"))
    assert tables(engine) == SANDBOX and diff(engine, sandbox_metadata) == []
    create_sandbox_app(engine, SandboxConfig.single_key("k"))  # and again on the next start
    assert revision(engine, "sandbox_alembic_version") == SANDBOX_HEAD


def test_the_head_read_from_the_files_is_alembics_head() -> None:
    assert migrate.head_revisions() == frozenset(ScriptDirectory(str(migrate.MIGRATIONS)).get_heads())


def test_a_history_the_files_do_not_tell_plainly_leaves_it_to_alembic(tmp_path: Path) -> None:
    (tmp_path / "0001_x.py").write_text('revision = "0001"\ndown_revision = None\n')
    assert migrate.head_revisions(tmp_path) == frozenset({"0001"})
    (tmp_path / "0002_y.py").write_text("revision = make_id()\ndown_revision = '0001'\n")
    assert migrate.head_revisions(tmp_path) is None


# Opens the store at `url` as a one-shot command does; prints whether Alembic was loaded.
_OPEN_AND_TELL = """
import sys
from zeroparty.adapters.db import migrate
from zeroparty.adapters.db.engine import create_engine
migrate.upgrade(create_engine(sys.argv[1]))
print("alembic" in sys.modules)
"""


def _opened_with_alembic(url: str) -> bool:
    done = subprocess.run(
        [sys.executable, "-c", _OPEN_AND_TELL, url], capture_output=True, text=True, timeout=60, check=True
    )
    return done.stdout.strip() == "True"


def test_a_store_at_head_opens_without_alembic_and_one_behind_is_upgraded(engine: Engine) -> None:
    url = engine.url.render_as_string(hide_password=False)
    assert _opened_with_alembic(url)  # a new database: Alembic creates the schema
    assert revision(engine, "alembic_version") == HEAD
    assert not _opened_with_alembic(url)  # at head: the version row says so, Alembic stays unloaded
    command.downgrade(migrate.alembic_config(engine), "-1")
    assert migrate.is_current(engine) is False
    assert _opened_with_alembic(url)  # one revision behind: brought up to head
    assert revision(engine, "alembic_version") == HEAD and diff(engine, metadata) == []


def test_responses_from_before_variants_keep_everything_and_have_none(engine: Engine) -> None:
    command.upgrade(migrate.alembic_config(engine), "0015")
    now = datetime.now(UTC)
    with engine.begin() as conn:
        conn.execute(
            sa.text("INSERT INTO experiences (id, slug, created_at, state) VALUES (1, 'q', :t, 'published')"),
            {"t": now},
        )
        conn.execute(sa.text("INSERT INTO experience_versions VALUES (1, 1, 1, '{}', :t)"), {"t": now})
        conn.execute(
            sa.text(
                "INSERT INTO responses (id, experience_version_id, channel, created_at, updated_at)"
                " VALUES ('r1', 1, 'page', :t, :t)"
            ),
            {"t": now},
        )
    migrate.upgrade(engine)
    with engine.begin() as conn:
        assert conn.execute(sa.text("SELECT id, variant FROM responses")).all() == [("r1", None)]
        conn.execute(
            schema.experience_variants.insert().values(experience_id=1, name="A", version_id=1, weight=5, position=0)
        )
    command.downgrade(migrate.alembic_config(engine), "0015")
    assert "experience_variants" not in tables(engine)
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT id FROM responses")).scalars().all() == ["r1"]


def test_what_existed_before_workspaces_is_in_the_default_workspace(engine: Engine) -> None:
    command.upgrade(migrate.alembic_config(engine), "0018")
    now = datetime.now(UTC)
    with engine.begin() as conn:
        conn.execute(schema.experiences.insert().values(id=1, slug="q", created_at=now, state="published"))
        conn.execute(
            schema.destinations.insert().values(
                name="eu", kind="braze", endpoint="https://x", api_key_encrypted="k", api_key_hint="…k", created_at=now
            )
        )
        conn.execute(schema.api_tokens.insert().values(name="ci", token_sha256="a" * 64, hint="…a", created_at=now))
        conn.execute(
            schema.assets.insert().values(
                sha256="b" * 64, extension="png", size=1, original_name="x.png", created_at=now, data=b"x"
            )
        )
        conn.execute(schema.erasures.insert().values(at=now, responses=0, destinations=[]))
    migrate.upgrade(engine)
    with engine.begin() as conn:
        owners = {
            table: conn.execute(sa.text(f"SELECT workspace_id FROM {table}")).scalars().all()
            for table in ("experiences", "destinations", "api_tokens", "erasures")
        }
        linked = conn.execute(sa.text("SELECT workspace_id, sha256 FROM workspace_assets")).all()
        first = conn.execute(sa.text("SELECT id, slug FROM workspaces")).all()
    assert owners == {"experiences": [1], "destinations": [1], "api_tokens": [1], "erasures": [1]}
    assert linked == [(1, "b" * 64)] and first == [(1, "default")]
    # The next workspace made is a second one (PostgreSQL's sequence has moved past the first's id).
    assert SqlWorkspaces(engine).create("acme", "Acme", now).id == 2


def test_after_migrating_foreign_keys_are_checked_and_new_workspaces_get_new_ids(engine: Engine) -> None:
    from zeroparty.adapters.db.workspaces import SqlWorkspaces

    migrate.upgrade(engine)
    if engine.dialect.name == "sqlite":
        with engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar_one() == 1
    made = SqlWorkspaces(engine).create("second", "Second", datetime.now(UTC))
    assert made.id == 2 and [w.slug for w in SqlWorkspaces(engine).all()] == ["default", "second"]
