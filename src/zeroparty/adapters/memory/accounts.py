"""The `Accounts` port (services/account_ports.py) in memory: the SQL store's twin for unit tests.
Only the default workspace exists until `add_workspace` adds another."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime

from zeroparty.domain.accounts import Membership, UserView
from zeroparty.domain.roles import Role
from zeroparty.domain.workspaces import DEFAULT_SLUG, DEFAULT_WORKSPACE_ID, Workspace
from zeroparty.errors import Conflict, FieldError, NotFound
from zeroparty.services.account_ports import StoredUser


@dataclass
class _Reset:
    user_id: int
    expires_at: datetime
    used_at: datetime | None = None


class MemoryAccounts:
    def __init__(self) -> None:
        default = Workspace(DEFAULT_WORKSPACE_ID, DEFAULT_SLUG, "Default", datetime(2026, 1, 1, tzinfo=UTC))
        self.workspaces: dict[int, Workspace] = {default.id: default}
        self._users: dict[int, StoredUser] = {}
        self._roles: dict[tuple[int, int], Role] = {}
        self._resets: dict[str, _Reset] = {}

    def add_workspace(self, workspace: Workspace) -> None:
        self.workspaces[workspace.id] = workspace

    def create_user(self, email: str, password_hash: str, workspace_id: int, role: Role, now: datetime) -> UserView:
        if workspace_id not in self.workspaces:
            raise NotFound(FieldError("workspace", "there is no such workspace"))
        if self.user_by_email(email) is not None:
            raise Conflict(FieldError("email", "a user with this email exists already"))
        view = UserView(len(self._users) + 1, email, now, now, None)
        self._users[view.id] = StoredUser(view, password_hash)
        self._roles[(view.id, workspace_id)] = role
        return view

    def user_by_email(self, email: str) -> StoredUser | None:
        return next((u for u in self._users.values() if u.view.email == email), None)

    def user_by_id(self, user_id: int) -> StoredUser | None:
        return self._users.get(user_id)

    def set_password(self, user_id: int, password_hash: str, now: datetime) -> None:
        if (user := self._users.get(user_id)) is not None:
            self._users[user_id] = StoredUser(replace(user.view, password_changed_at=now), password_hash)

    def disable(self, user_id: int, now: datetime) -> None:
        user = self._users.get(user_id)
        if user is not None and user.view.disabled_at is None:
            self._users[user_id] = replace(user, view=replace(user.view, disabled_at=now))

    def set_membership(self, user_id: int, workspace_id: int, role: Role, now: datetime) -> None:
        if workspace_id not in self.workspaces:
            raise NotFound(FieldError("workspace", "there is no such workspace"))
        self._roles[(user_id, workspace_id)] = role

    def remove_membership(self, user_id: int, workspace_id: int) -> bool:
        return self._roles.pop((user_id, workspace_id), None) is not None

    def role_in(self, user_id: int, workspace_id: int) -> Role | None:
        return self._roles.get((user_id, workspace_id))

    def active_owners(self, workspace_id: int) -> int:
        return sum(
            1
            for (uid, ws), role in self._roles.items()
            if ws == workspace_id and role is Role.OWNER and self._users[uid].view.disabled_at is None
        )

    def members(self, workspace_id: int) -> list[tuple[UserView, Role]]:
        found = [(self._users[uid].view, role) for (uid, ws), role in self._roles.items() if ws == workspace_id]
        return sorted(found, key=lambda pair: pair[0].email)

    def memberships(self, user_id: int) -> list[Membership]:
        found = [Membership(self.workspaces[ws], role) for (uid, ws), role in self._roles.items() if uid == user_id]
        return sorted(found, key=lambda m: m.workspace.slug)

    def add_reset(self, digest: str, user_id: int, now: datetime, expires_at: datetime) -> None:
        self._resets[digest] = _Reset(user_id, expires_at)

    def reset_user(self, digest: str, now: datetime) -> int | None:
        reset = self._resets.get(digest)
        valid = reset is not None and reset.used_at is None and reset.expires_at > now
        return reset.user_id if reset is not None and valid else None

    def use_reset(self, digest: str, now: datetime) -> int | None:
        user_id = self.reset_user(digest, now)
        if user_id is not None:
            self._resets[digest].used_at = now
        return user_id
