"""How an attributes object changes a profile, and the data points it costs.

Semantics: https://www.braze.com/docs/user_guide/data/custom_data/custom_attributes (set, null
unsets, `inc`, arrays with `add`/`remove`), .../nested_custom_attribute_support (objects overwrite
unless `_merge_objects`), .../array_of_objects (`$add`/`$remove`/`$update`).
Data points: https://www.braze.com/docs/user_guide/data/infrastructure/data_points/ — one per
attribute set, one per array value added, one per nested key; subscription state is free.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from zeroparty.sandbox.rules.validation import CONTROL_KEYS, IDENTIFIER_KEYS, STANDARD_KEYS, parse_time

STANDARD_FIELDS = STANDARD_KEYS
FREE_FIELDS = frozenset({"email_subscribe", "push_subscribe", "subscription_groups", "push_tokens"})


@dataclass
class Profile:
    fields: dict[str, Any]
    custom: dict[str, Any]


def _looks_like_time(value: str) -> bool:
    return any(c in value for c in "-/") and any(c.isdigit() for c in value)


def _deep_merge(base: dict[str, Any], extra: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for k, v in extra.items():
        merged[k] = _deep_merge(merged[k], v) if isinstance(v, dict) and isinstance(merged.get(k), dict) else v
    return merged


def _count_keys(obj: Mapping[str, Any]) -> int:
    return sum(_count_keys(v) if isinstance(v, dict) else 1 for v in obj.values()) or 1


def _apply_custom(custom: dict[str, Any], key: str, value: Any, merge: bool, now: datetime, array_cap: int) -> int:
    current = custom.get(key)
    if value is None:
        custom.pop(key, None)
        return 1
    if isinstance(value, dict) and set(value) == {"inc"} and isinstance(value["inc"], int | float):
        base = current if isinstance(current, int | float) and not isinstance(current, bool) else 0
        custom[key] = base + value["inc"]
        return 1
    if isinstance(value, dict) and set(value) <= {"add", "remove"} and value:
        items = list(current) if isinstance(current, list) else []
        for v in value.get("remove") or []:
            items = [x for x in items if x != v]
        added = 0
        for v in value.get("add") or []:
            items = [x for x in items if x != v] + [v]  # values are unique; a re-add moves to the end
            added += 1
        custom[key] = items[-array_cap:]  # over the cap, the oldest values go
        return added
    if isinstance(value, dict) and set(value) & {"$add", "$remove", "$update"}:
        items = [dict(x) for x in current] if isinstance(current, list) else []
        for rm in value.get("$remove") or []:
            items = [x for x in items if x.get(rm.get("$identifier_key")) != rm.get("$identifier_value")]
        points = 0
        for up in value.get("$update") or []:
            for i, x in enumerate(items):
                if x.get(up.get("$identifier_key")) == up.get("$identifier_value"):
                    items[i] = _deep_merge(x, up.get("$new_object") or {})
                    points += _count_keys(up.get("$new_object") or {})
        for obj in value.get("$add") or []:
            items.append(dict(obj))
            points += _count_keys(obj)
        custom[key] = items
        return points
    if isinstance(value, dict) and set(value) == {"$time"}:
        when = parse_time(value["$time"], now)
        if when is None:
            return 0  # Braze drops nested updates holding an invalid time, and still answers success
        custom[key] = when.isoformat().replace("+00:00", "Z")
        return 1
    if isinstance(value, dict):
        custom[key] = _deep_merge(current, value) if merge and isinstance(current, dict) else copy.deepcopy(value)
        return _count_keys(value)
    if isinstance(value, str) and _looks_like_time(value):
        when = parse_time(value, now)
        if when is not None:  # date strings become time attributes
            custom[key] = when.isoformat().replace("+00:00", "Z")
            return 1
    custom[key] = value
    return 1


def apply_attributes(profile: Profile, obj: Mapping[str, Any], now: datetime, array_cap: int = 25) -> int:
    """Apply one validated attributes object; returns the data points it used."""
    merge = obj.get("_merge_objects") is True
    points = 0
    for key, value in obj.items():
        if key in CONTROL_KEYS or key in IDENTIFIER_KEYS:
            continue
        if key in STANDARD_FIELDS:
            if key == "country" and isinstance(value, str):
                value = value.upper() if len(value) == 2 and value.isalpha() else None
            if value is None:
                profile.fields.pop(key, None)
            else:
                profile.fields[key] = value.lower() if key == "email" else value
            points += 0 if key in FREE_FIELDS else 1
        else:
            points += _apply_custom(profile.custom, key, value, merge, now, array_cap)
    return points
