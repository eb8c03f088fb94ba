"""Who may do what in a workspace. Pure.

Three roles, each allowed everything the one below is:

- **viewer**: reads everything the workspace holds (experiences, analytics, deliveries, people).
- **editor**: also changes experiences (upload, publish, roll back, variants), sends test profiles
  and replays dead letters.
- **owner**: also manages users, destinations and their keys, erases people and reads the audit log.

Users have a role per workspace (memberships); API tokens belong to one workspace and carry a role.
"""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    VIEWER = "viewer"
    EDITOR = "editor"
    OWNER = "owner"


_RANK = {Role.VIEWER: 0, Role.EDITOR: 1, Role.OWNER: 2}
ROLES = tuple(Role)


def allows(role: Role, needed: Role) -> bool:
    """Whether `role` may do what needs `needed`."""
    return _RANK[role] >= _RANK[needed]


def parse_role(value: str) -> Role | None:
    """The role named `value` (any case), or None."""
    try:
        return Role(value.strip().lower())
    except ValueError:
        return None


ROLE_PROBLEM = "must be one of: " + ", ".join(ROLES)
