"""Console users as the accounts service keeps them (`services.account_ports.Accounts`), on a real
SQLite file, a real PostgreSQL database and the in-memory twin: one user per email, a role per
workspace, and a reset link that works once and not after it expires."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.support.databases import STORES, store_for
from zeroparty.adapters.db import migrate
from zeroparty.adapters.db.accounts import SqlAccounts
from zeroparty.adapters.db.engine import create_engine
from zeroparty.adapters.db.workspaces import SqlWorkspaces
from zeroparty.adapters.memory.accounts import MemoryAccounts
from zeroparty.domain.roles import Role
from zeroparty.domain.workspaces import DEFAULT_WORKSPACE_ID, Workspace
from zeroparty.errors import Conflict, NotFound
from zeroparty.services.account_ports import Accounts

T0 = datetime(2026, 6, 1, 12, tzinfo=UTC)


def migrated(url: str) -> sa.Engine:
    """A fresh store at `url`, its schema current, ready for a second workspace."""
    engine = create_engine(url)
    migrate.upgrade(engine)
    # The connection that ran the migrations goes back to the pool with SQLite's foreign keys still
    # off (migrations/env.py); new connections have them on, as a store opened later has.
    engine.dispose()
    if engine.dialect.name == "postgresql":
        # Migration 0019 inserts the default workspace with its id given, which leaves PostgreSQL's
        # sequence behind it: the next workspace would be given id 1 again.
        with engine.begin() as conn:
            conn.execute(
                sa.text("SELECT setval(pg_get_serial_sequence('workspaces', 'id'), (SELECT max(id) FROM workspaces))")
            )
    return engine


def _sql(url: str, _tmp: Path) -> SqlAccounts:
    return SqlAccounts(migrated(url))


@pytest.fixture(params=STORES)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SqlAccounts | MemoryAccounts]:
    with store_for(request.param, tmp_path, _sql, MemoryAccounts) as found:
        yield found


def _second_workspace(store: SqlAccounts | MemoryAccounts) -> Workspace:
    if isinstance(store, MemoryAccounts):
        brand = Workspace(2, "brand", "Brand", T0)
        store.add_workspace(brand)
        return brand
    return SqlWorkspaces(store.engine).create("brand", "Brand", T0)


def test_one_user_per_email_and_the_hash_is_kept_apart_from_the_view(store: Accounts) -> None:
    ada = store.create_user("ada@example.com", "hash-1", DEFAULT_WORKSPACE_ID, Role.EDITOR, T0)
    with pytest.raises(Conflict, match="email"):
        store.create_user("ada@example.com", "hash-2", DEFAULT_WORKSPACE_ID, Role.OWNER, T0)
    with pytest.raises(NotFound, match="workspace"):
        store.create_user("bob@example.com", "hash-2", 999, Role.OWNER, T0)
    assert store.user_by_email("bob@example.com") is None  # no user without the membership
    assert store.role_in(ada.id, DEFAULT_WORKSPACE_ID) is Role.EDITOR
    found = store.user_by_email("ada@example.com")
    assert found is not None and found.view == ada and found.password_hash == "hash-1"
    assert "hash-1" not in repr(ada)
    assert store.user_by_email("bob@example.com") is None
    by_id = store.user_by_id(ada.id)
    assert by_id is not None and by_id.view.email == "ada@example.com"
    store.set_password(ada.id, "hash-3", T0 + timedelta(days=1))
    changed = store.user_by_id(ada.id)
    assert changed is not None and changed.password_hash == "hash-3"
    assert changed.view.password_changed_at == T0 + timedelta(days=1)
    store.disable(ada.id, T0 + timedelta(days=2))
    store.disable(ada.id, T0 + timedelta(days=3))  # the first time it was disabled stays
    gone = store.user_by_id(ada.id)
    assert gone is not None and gone.view.disabled_at == T0 + timedelta(days=2)


def test_a_user_has_one_role_per_workspace(store: SqlAccounts | MemoryAccounts) -> None:
    brand = _second_workspace(store)
    ada = store.create_user("ada@example.com", "h", DEFAULT_WORKSPACE_ID, Role.OWNER, T0)
    bob = store.create_user("bob@example.com", "h", DEFAULT_WORKSPACE_ID, Role.VIEWER, T0)
    store.set_membership(bob.id, brand.id, Role.OWNER, T0)
    store.set_membership(bob.id, DEFAULT_WORKSPACE_ID, Role.EDITOR, T0)  # a new role replaces the old
    assert [(u.email, r) for u, r in store.members(DEFAULT_WORKSPACE_ID)] == [
        ("ada@example.com", Role.OWNER),
        ("bob@example.com", Role.EDITOR),
    ]
    assert [(u.email, r) for u, r in store.members(brand.id)] == [("bob@example.com", Role.OWNER)]
    assert [(m.workspace.slug, m.role) for m in store.memberships(bob.id)] == [
        ("brand", Role.OWNER),
        ("default", Role.EDITOR),
    ]
    assert store.role_in(ada.id, brand.id) is None
    assert store.active_owners(DEFAULT_WORKSPACE_ID) == 1
    store.disable(ada.id, T0)
    assert store.active_owners(DEFAULT_WORKSPACE_ID) == 0
    assert store.remove_membership(bob.id, brand.id) is True
    assert store.remove_membership(bob.id, brand.id) is False
    assert store.memberships(bob.id)[0].workspace.slug == "default"
    with pytest.raises(NotFound, match="workspace"):
        store.set_membership(ada.id, 999, Role.VIEWER, T0)


def test_a_reset_link_works_once_and_not_after_it_expires(store: Accounts) -> None:
    ada = store.create_user("ada@example.com", "h", DEFAULT_WORKSPACE_ID, Role.OWNER, T0)
    store.add_reset("a" * 64, ada.id, T0, T0 + timedelta(hours=1))
    store.add_reset("b" * 64, ada.id, T0, T0 + timedelta(hours=1))
    assert store.reset_user("a" * 64, T0) == ada.id
    assert store.use_reset("a" * 64, T0 + timedelta(minutes=5)) == ada.id
    assert store.use_reset("a" * 64, T0 + timedelta(minutes=6)) is None
    assert store.reset_user("a" * 64, T0 + timedelta(minutes=6)) is None
    late = T0 + timedelta(hours=1)
    assert store.reset_user("b" * 64, late) is None
    assert store.use_reset("b" * 64, late) is None
    assert store.use_reset("c" * 64, T0) is None
