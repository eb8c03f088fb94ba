"""Building `/users/track` request bodies: coalesce per user, then batch within Braze's limits.

Limits (https://www.braze.com/docs/api/api_limits): 75 objects combined per request (legacy
contracts: 75 per array), 4 MB per request; 100 KB per object.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class BrazeLimits:
    max_objects: int = 75
    max_request_bytes: int = 4 * 1024 * 1024
    max_object_bytes: int = 100 * 1024


@dataclass(frozen=True)
class Change:
    """One queued profile change: outbox row `item_id` sets `attributes` on the user `email`."""

    item_id: str
    email: str
    attributes: dict[str, Any]


@dataclass(frozen=True)
class UserObject:
    """One attributes object: every change for one user, later changes winning."""

    email: str
    attributes: dict[str, Any]
    item_ids: tuple[str, ...]

    def to_braze(self) -> dict[str, Any]:
        return {"email": self.email, **self.attributes}


@dataclass(frozen=True)
class Batch:
    objects: tuple[UserObject, ...] = field(default_factory=tuple)

    def body(self) -> dict[str, Any]:
        return {"attributes": [o.to_braze() for o in self.objects]}

    def item_ids(self) -> list[str]:
        return [i for o in self.objects for i in o.item_ids]


def coalesce(changes: Iterable[Change]) -> list[UserObject]:
    """Merge changes per user, in first-seen user order; within a user later values win."""
    merged: dict[str, tuple[dict[str, Any], list[str]]] = {}
    for ch in changes:
        attrs, ids = merged.setdefault(ch.email, ({}, []))
        attrs.update(ch.attributes)
        ids.append(ch.item_id)
    return [UserObject(email, attrs, tuple(ids)) for email, (attrs, ids) in merged.items()]


def encoded_size(obj: Any) -> int:
    return len(json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode())


def plan_batches(objects: Sequence[UserObject], limits: BrazeLimits = BrazeLimits()) -> list[Batch]:
    """Pack objects, in order, into as few requests as the limits allow."""
    batches: list[Batch] = []
    current: list[UserObject] = []
    size = len(b'{"attributes":[]}')
    for obj in objects:
        obj_size = encoded_size(obj.to_braze()) + 1
        if current and (len(current) >= limits.max_objects or size + obj_size > limits.max_request_bytes):
            batches.append(Batch(tuple(current)))
            current, size = [], len(b'{"attributes":[]}')
        current.append(obj)
        size += obj_size
    if current:
        batches.append(Batch(tuple(current)))
    return batches
