"""Console users, their memberships and reset links (tables users, memberships, password_resets in
schema.py): the `Accounts` port of services/account_ports.py."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from zeroparty.adapters.db.engine import reader
from zeroparty.adapters.db.schema import memberships, password_resets, users, workspaces
from zeroparty.domain.accounts import Membership, UserView
from zeroparty.domain.roles import Role
from zeroparty.domain.workspaces import Workspace
from zeroparty.errors import Conflict, FieldError, NotFound
from zeroparty.services.account_ports import StoredUser

INSERT_USER = sa.insert(users)
USER_BY_EMAIL = sa.select(users).where(users.c.email == sa.bindparam("email"))
USER_BY_ID = sa.select(users).where(users.c.id == sa.bindparam("id"))
SET_PASSWORD = (
    sa.update(users)
    .where(users.c.id == sa.bindparam("uid"))
    .values(password_hash=sa.bindparam("hash"), password_changed_at=sa.bindparam("now"))
)
DISABLE = (
    sa.update(users)
    .where(users.c.id == sa.bindparam("uid"), users.c.disabled_at.is_(None))
    .values(disabled_at=sa.bindparam("now"))
)
_MEMBER = (memberships.c.user_id == sa.bindparam("uid"), memberships.c.workspace_id == sa.bindparam("ws"))
ROLE_IN = sa.select(memberships.c.role).where(*_MEMBER)
INSERT_MEMBERSHIP = sa.insert(memberships)
WORKSPACE_EXISTS = sa.select(workspaces.c.id).where(workspaces.c.id == sa.bindparam("ws"))
UPDATE_ROLE = sa.update(memberships).where(*_MEMBER).values(role=sa.bindparam("role"))
REMOVE_MEMBERSHIP = sa.delete(memberships).where(*_MEMBER)
ACTIVE_OWNERS = (
    sa.select(sa.func.count())
    .select_from(memberships.join(users, users.c.id == memberships.c.user_id))
    .where(memberships.c.workspace_id == sa.bindparam("ws"), memberships.c.role == Role.OWNER.value)
    .where(users.c.disabled_at.is_(None))
)
MEMBERS = (
    sa.select(users, memberships.c.role)
    .join(memberships, memberships.c.user_id == users.c.id)
    .where(memberships.c.workspace_id == sa.bindparam("ws"))
    .order_by(users.c.email)
)
MEMBERSHIPS = (
    sa.select(workspaces, memberships.c.role)
    .join(memberships, memberships.c.workspace_id == workspaces.c.id)
    .where(memberships.c.user_id == sa.bindparam("uid"))
    .order_by(workspaces.c.slug)
)
INSERT_RESET = sa.insert(password_resets)
_VALID_RESET = (
    password_resets.c.token_sha256 == sa.bindparam("digest"),
    password_resets.c.used_at.is_(None),
    password_resets.c.expires_at > sa.bindparam("now"),
)
RESET_USER = sa.select(password_resets.c.user_id).where(*_VALID_RESET)
# One UPDATE that only matches an unused, unexpired link: of two concurrent uses, one changes the row.
USE_RESET = sa.update(password_resets).where(*_VALID_RESET).values(used_at=sa.bindparam("now"))


def _view(m: sa.RowMapping) -> UserView:
    return UserView(m["id"], m["email"], m["created_at"], m["password_changed_at"], m["disabled_at"])


def _stored(m: sa.RowMapping | None) -> StoredUser | None:
    return None if m is None else StoredUser(_view(m), m["password_hash"])


class SqlAccounts:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def create_user(self, email: str, password_hash: str, workspace_id: int, role: Role, now: datetime) -> UserView:
        row = {"email": email, "password_hash": password_hash, "created_at": now, "password_changed_at": now}
        try:
            with self.engine.begin() as conn:
                if conn.execute(WORKSPACE_EXISTS, {"ws": workspace_id}).first() is None:
                    raise NotFound(FieldError("workspace", "there is no such workspace"))
                key = conn.execute(INSERT_USER, row).inserted_primary_key
                assert key is not None
                member = {"user_id": key[0], "workspace_id": workspace_id, "role": role.value, "created_at": now}
                conn.execute(INSERT_MEMBERSHIP, member)
        except IntegrityError:
            raise Conflict(FieldError("email", "a user with this email exists already")) from None
        return UserView(int(key[0]), email, now, now, None)

    def user_by_email(self, email: str) -> StoredUser | None:
        with reader(self.engine).connect() as conn:
            return _stored(conn.execute(USER_BY_EMAIL, {"email": email}).mappings().first())

    def user_by_id(self, user_id: int) -> StoredUser | None:
        with reader(self.engine).connect() as conn:
            return _stored(conn.execute(USER_BY_ID, {"id": user_id}).mappings().first())

    def set_password(self, user_id: int, password_hash: str, now: datetime) -> None:
        with self.engine.begin() as conn:
            conn.execute(SET_PASSWORD, {"uid": user_id, "hash": password_hash, "now": now})

    def disable(self, user_id: int, now: datetime) -> None:
        with self.engine.begin() as conn:
            conn.execute(DISABLE, {"uid": user_id, "now": now})

    def set_membership(self, user_id: int, workspace_id: int, role: Role, now: datetime) -> None:
        key = {"uid": user_id, "ws": workspace_id}
        try:
            with self.engine.begin() as conn:
                if conn.execute(UPDATE_ROLE, key | {"role": role.value}).rowcount == 0:
                    row = {"user_id": user_id, "workspace_id": workspace_id, "role": role.value, "created_at": now}
                    conn.execute(INSERT_MEMBERSHIP, row)
        except IntegrityError:
            raise NotFound(FieldError("workspace", "there is no such workspace")) from None

    def remove_membership(self, user_id: int, workspace_id: int) -> bool:
        with self.engine.begin() as conn:
            return conn.execute(REMOVE_MEMBERSHIP, {"uid": user_id, "ws": workspace_id}).rowcount > 0

    def role_in(self, user_id: int, workspace_id: int) -> Role | None:
        with reader(self.engine).connect() as conn:
            role = conn.execute(ROLE_IN, {"uid": user_id, "ws": workspace_id}).scalar()
        return None if role is None else Role(role)

    def active_owners(self, workspace_id: int) -> int:
        with reader(self.engine).connect() as conn:
            return int(conn.execute(ACTIVE_OWNERS, {"ws": workspace_id}).scalar_one())

    def members(self, workspace_id: int) -> list[tuple[UserView, Role]]:
        with reader(self.engine).connect() as conn:
            return [(_view(m), Role(m["role"])) for m in conn.execute(MEMBERS, {"ws": workspace_id}).mappings()]

    def memberships(self, user_id: int) -> list[Membership]:
        with reader(self.engine).connect() as conn:
            rows = conn.execute(MEMBERSHIPS, {"uid": user_id}).mappings().all()
        return [Membership(Workspace(m["id"], m["slug"], m["name"], m["created_at"]), Role(m["role"])) for m in rows]

    def add_reset(self, digest: str, user_id: int, now: datetime, expires_at: datetime) -> None:
        row = {"token_sha256": digest, "user_id": user_id, "created_at": now, "expires_at": expires_at}
        with self.engine.begin() as conn:
            conn.execute(INSERT_RESET, row)

    def reset_user(self, digest: str, now: datetime) -> int | None:
        with reader(self.engine).connect() as conn:
            found = conn.execute(RESET_USER, {"digest": digest, "now": now}).scalar()
        return None if found is None else int(found)

    def use_reset(self, digest: str, now: datetime) -> int | None:
        with self.engine.begin() as conn:
            found = conn.execute(RESET_USER, {"digest": digest, "now": now}).scalar()
            if found is None or conn.execute(USE_RESET, {"digest": digest, "now": now}).rowcount != 1:
                return None
        return int(found)
