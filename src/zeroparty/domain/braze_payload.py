"""Building `/users/track` request bodies: coalesce per user, set aside the objects that can never
be sent, then batch the rest within Braze's limits.

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


@dataclass(frozen=True)
class Unsendable:
    """An object no request can carry; `reason` says what is wrong without quoting the value."""

    obj: UserObject
    reason: str


@dataclass(frozen=True)
class DeliveryPlan:
    batches: tuple[Batch, ...]
    unsendable: tuple[Unsendable, ...]


def encoded_size(obj: Any) -> int:
    """Bytes of `obj` as sent: compact UTF-8 JSON without NaN or infinities, like the transport.

    Raises ValueError (UnicodeEncodeError for a lone surrogate), TypeError or RecursionError when
    `obj` cannot be sent at all."""
    return len(json.dumps(obj, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode())


def plan_delivery(objects: Sequence[UserObject], limits: BrazeLimits = BrazeLimits()) -> DeliveryPlan:
    """Set aside the objects that can never be sent, with the reason, and batch the others, so
    one poisoned object cannot hold up the rest of a claim."""
    sized: list[tuple[UserObject, int]] = []
    unsendable: list[Unsendable] = []
    for obj in objects:
        try:
            size = encoded_size(obj.to_braze())
        except (ValueError, TypeError, RecursionError) as exc:
            unsendable.append(Unsendable(obj, f"cannot be sent to Braze: {_encoding_problem(obj, exc)}"))
            continue
        if size > limits.max_object_bytes:
            reason = (
                f"cannot be sent to Braze: the profile update is {size:,} bytes, "
                f"over Braze's limit of {limits.max_object_bytes:,} bytes per object"
            )
            unsendable.append(Unsendable(obj, reason))
            continue
        sized.append((obj, size))
    return DeliveryPlan(tuple(_pack(sized, limits)), tuple(unsendable))


def plan_batches(objects: Sequence[UserObject], limits: BrazeLimits = BrazeLimits()) -> list[Batch]:
    """Pack objects known to be sendable, in order, into as few requests as the limits allow."""
    return _pack([(o, encoded_size(o.to_braze())) for o in objects], limits)


def _pack(sized: Sequence[tuple[UserObject, int]], limits: BrazeLimits) -> list[Batch]:
    batches: list[Batch] = []
    current: list[UserObject] = []
    size = len(b'{"attributes":[]}')
    for obj, encoded in sized:
        obj_size = encoded + 1
        if current and (len(current) >= limits.max_objects or size + obj_size > limits.max_request_bytes):
            batches.append(Batch(tuple(current)))
            current, size = [], len(b'{"attributes":[]}')
        current.append(obj)
        size += obj_size
    if current:
        batches.append(Batch(tuple(current)))
    return batches


def _encoding_problem(obj: UserObject, exc: BaseException) -> str:
    """Which field cannot be encoded and why, naming the field but never its value."""
    fields: list[tuple[str, Any]] = [("email", obj.email), *obj.attributes.items()]
    for name, value in fields:
        try:
            encoded_size({name: value})
        except (ValueError, TypeError, RecursionError) as field_exc:
            return f"{_field_label(name)} {_what_is_wrong(field_exc)}"
    return f"the profile update {_what_is_wrong(exc)}"


def _field_label(name: str) -> str:
    if name == "email":
        return "the email address"
    try:
        name.encode()
    except UnicodeEncodeError:
        return "an attribute name"
    return f"attribute {name[:100]!r}"


def _what_is_wrong(exc: BaseException) -> str:
    if isinstance(exc, UnicodeError):
        return "is not valid Unicode text (it holds a lone surrogate, which UTF-8 cannot encode)"
    if isinstance(exc, RecursionError):
        return "is nested too deeply to encode as JSON"
    if isinstance(exc, ValueError):
        return "holds a number JSON cannot carry (NaN or infinity)"
    return f"holds a value JSON cannot carry ({type(exc).__name__})"
