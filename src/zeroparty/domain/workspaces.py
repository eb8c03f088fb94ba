"""Workspaces: one per brand. Everything a brand owns belongs to one (experiences, assets,
destinations, responses, tokens, analytics) and nothing crosses from one to another. Pure.

A workspace has a slug (unique on the instance, used in console URLs and `--workspace`) and a name.
The first workspace (id 1, slug `default`) holds what existed before workspaces did.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

DEFAULT_WORKSPACE_ID = 1
DEFAULT_SLUG = "default"
MAX_SLUG = 64
MAX_NAME = 100
_SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$")


@dataclass(frozen=True)
class Workspace:
    id: int
    slug: str
    name: str
    created_at: datetime


def slug_problem(slug: str) -> str | None:
    """Why `slug` cannot name a workspace, or None."""
    if not _SLUG.match(slug):
        return f"must be 1 to {MAX_SLUG} lowercase letters, digits and '-', not starting or ending with '-'"
    return None


def name_problem(name: str) -> str | None:
    if not name.strip() or len(name) > MAX_NAME or any(not c.isprintable() for c in name):
        return f"must be 1 to {MAX_NAME} printable characters"
    return None
