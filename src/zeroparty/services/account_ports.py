"""What the accounts service (services/accounts.py) needs from outside: a password hasher and a
store of users, memberships and reset links. The SQL store is adapters/db/accounts.py, its
in-memory twin adapters/memory/accounts.py, the hasher adapters/passwords.py."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from zeroparty.domain.accounts import Membership, UserView
from zeroparty.domain.roles import Role


class PasswordHasher(Protocol):
    def hash(self, password: str) -> str: ...

    def verify(self, hashed: str, password: str) -> bool:
        """Whether `password` is the one `hashed` was made from (False for a malformed hash)."""
        ...

    def needs_rehash(self, hashed: str) -> bool:
        """Whether `hashed` was made with weaker parameters than the hasher's own."""
        ...


@dataclass(frozen=True)
class StoredUser:
    view: UserView
    password_hash: str


class Accounts(Protocol):
    def create_user(self, email: str, password_hash: str, workspace_id: int, role: Role, now: datetime) -> UserView:
        """A new user (the email normalised already), member of the workspace with `role`, both or
        neither: Conflict naming `email` when it is taken, NotFound naming `workspace`."""
        ...

    def user_by_email(self, email: str) -> StoredUser | None: ...

    def user_by_id(self, user_id: int) -> StoredUser | None: ...

    def set_password(self, user_id: int, password_hash: str, now: datetime) -> None: ...

    def disable(self, user_id: int, now: datetime) -> None:
        """Mark the user disabled (kept, so the audit log's names still mean someone)."""
        ...

    def set_membership(self, user_id: int, workspace_id: int, role: Role, now: datetime) -> None:
        """Give the user `role` in the workspace, a member already or not; NotFound naming
        `workspace` when there is no such workspace."""
        ...

    def remove_membership(self, user_id: int, workspace_id: int) -> bool:
        """Whether there was a membership to remove."""
        ...

    def role_in(self, user_id: int, workspace_id: int) -> Role | None: ...

    def active_owners(self, workspace_id: int) -> int:
        """How many users not disabled are owners of the workspace."""
        ...

    def members(self, workspace_id: int) -> list[tuple[UserView, Role]]:
        """The workspace's members with their role, by email."""
        ...

    def memberships(self, user_id: int) -> list[Membership]:
        """The workspaces the user belongs to, by slug."""
        ...

    def add_reset(self, digest: str, user_id: int, now: datetime, expires_at: datetime) -> None: ...

    def reset_user(self, digest: str, now: datetime) -> int | None:
        """The user a reset link still valid at `now` is for (not used, not expired), or None."""
        ...

    def use_reset(self, digest: str, now: datetime) -> int | None:
        """Mark the link used, once: its user when it was still valid at `now`, else None (a second
        use, even a concurrent one, gets None)."""
        ...
