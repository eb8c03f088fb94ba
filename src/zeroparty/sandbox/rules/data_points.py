"""Data points: what one change to a profile costs.

Source: https://www.braze.com/docs/user_guide/data/data_points/ — "any attribute set on an end user
profile", each custom event and purchase recorded, each count as one; "Arrays: updating an array costs
one data point per API call. If you add values to an array incrementally, it will count as one data
point per value" and setting the whole array is one; "Nested custom attributes: every key in the
object will count as a data point", and setting one to null costs one. Free: subscription state
changes (email_subscribe, push_subscribe, subscription groups), push tokens, the user ID and aliases,
deleting users. Arrays of objects: one per attribute of each object created, one per property an
update sets, one per removal criterion sent
(https://www.braze.com/docs/user_guide/data/activation/attributes/array_of_objects/, "Data points").
Unchanged values are charged too: Braze "processes the data passed through the API at face value"
(https://www.braze.com/docs/api/endpoints/user_data/post_user_track).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from zeroparty.sandbox.rules.nested import count_keys

FREE_FIELDS = frozenset({"email_subscribe", "push_subscribe", "subscription_groups", "push_tokens", "facebook"})


def standard_field(key: str) -> int:
    return 0 if key in FREE_FIELDS else 1


def custom_value(value: Any) -> int:
    """Setting (or unsetting) a custom attribute to this value."""
    if isinstance(value, dict):
        return count_keys(value)
    if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        return sum(count_keys(v) for v in value)
    return 1


def array_update(added: int) -> int:
    return added if added else 1


def object_array_update(added: list[Mapping[str, Any]], updated: list[Mapping[str, Any]], criteria: int) -> int:
    return sum(count_keys(dict(o)) for o in added) + sum(count_keys(dict(o)) for o in updated) + criteria


def event() -> int:
    return 1


def purchase(quantity: int, properties: Mapping[str, Any] | None) -> int:
    """Braze "treats a quantity X as X separate purchases", and purchase properties are billable
    (https://www.braze.com/docs/api/objects_filters/purchase_object; the data points page)."""
    return quantity * (1 + len(properties or {}))
