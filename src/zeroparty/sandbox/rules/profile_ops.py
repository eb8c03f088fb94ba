"""How one validated attributes object changes a profile, and the data points it uses.

Semantics: https://www.braze.com/docs/api/objects_filters/user_attributes_object (null unsets; arrays
hold unique values and adding a present value moves it to the end; at most 25 values by default),
https://www.braze.com/docs/user_guide/data/custom_data/custom_attributes (`inc`, `add`, `remove`, date
strings become times, future times become now, years outside 0..3000 stay strings),
.../nested_custom_attribute_support (objects overwrite unless `_merge_objects`, `$time`, 100 KB) and
.../array_of_objects (`$add`; `$remove` every match; `$update` deep-merges with `_merge_objects`,
otherwise overwrites the matched objects).
"""

from __future__ import annotations

import copy
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from zeroparty.sandbox.rules import data_points
from zeroparty.sandbox.rules.fields import (
    IGNORED_FIELDS,
    SKIP,
    STANDARD_FIELDS,
    merge_groups,
    merge_push_tokens,
    stored_value,
)
from zeroparty.sandbox.rules.nested import MAX_BYTES, deep_merge, is_nested_update, json_size, resolve_times
from zeroparty.sandbox.rules.times import MAX_YEAR, iso, looks_like_date, not_after, parse_time
from zeroparty.sandbox.rules.validation import CONTROL_KEYS, IDENTIFIER_KEYS


@dataclass
class Profile:
    fields: dict[str, Any]
    custom: dict[str, Any]


@dataclass
class Applied:
    data_points: int = 0
    notes: list[str] = field(default_factory=list)  # what Braze silently skipped, for the request log


def apply_attributes(
    profile: Profile, obj: Mapping[str, Any], now: datetime, *, array_cap: int = 25, drop_nested: bool = False
) -> Applied:
    """Apply one validated attributes object. With drop_nested, nested updates are skipped: Braze
    drops every nested update of a request in which one holds an invalid value."""
    merge = obj.get("_merge_objects") is True
    out = Applied()
    for key, value in obj.items():
        if key in CONTROL_KEYS or key in IDENTIFIER_KEYS or key in IGNORED_FIELDS:
            continue
        if key in STANDARD_FIELDS:
            out.data_points += _apply_field(profile.fields, key, value, out.notes)
        elif drop_nested and is_nested_update(value):
            out.notes.append(f"'{key}': dropped, the request holds an invalid nested custom attribute value")
        else:
            out.data_points += _apply_custom(profile.custom, key, value, merge, now, array_cap, out.notes)
    return out


def _apply_field(fields: dict[str, Any], key: str, value: Any, notes: list[str]) -> int:
    stored = stored_value(key, value)
    if stored is SKIP:
        notes.append(f"'{key}': {value!r} is not a value Braze sets; left unchanged")
        return 0
    if stored is None:
        fields.pop(key, None)
        if value is not None:
            notes.append(f"'{key}': {value!r} does not map to a code; set to null")
    elif key == "subscription_groups":
        fields[key] = merge_groups(fields.get(key), value)
    elif key == "push_tokens":
        fields[key] = merge_push_tokens(fields.get(key), value)
    else:
        fields[key] = copy.deepcopy(stored)
    return data_points.standard_field(key)


def _apply_custom(
    custom: dict[str, Any], key: str, value: Any, merge: bool, now: datetime, cap: int, notes: list[str]
) -> int:
    current = custom.get(key)
    if value is None:
        custom.pop(key, None)
        return data_points.custom_value(None)
    if isinstance(value, dict):
        ops = set(value)
        if ops == {"inc"}:
            return _inc(custom, key, value["inc"], notes)
        if ops and ops <= {"add", "remove"}:
            return _add_remove(custom, key, value, cap)
        if ops == {"$time"}:
            return _set_time(custom, key, value["$time"], now, notes)
        if ops & {"$add", "$remove", "$update"}:
            return _object_array_ops(custom, key, value, merge, now, notes)
        resolved = resolve_times(value, now)
        new = deep_merge(current, resolved) if merge and isinstance(current, dict) else resolved
        return _set_nested(custom, key, new, data_points.custom_value(value), notes)
    if isinstance(value, list):
        if value and all(isinstance(v, dict) for v in value):
            return _set_nested(custom, key, resolve_times(value, now), data_points.custom_value(value), notes)
        unique = list(dict.fromkeys(_hashable(v) for v in value))
        custom[key] = [_unhashable(v) for v in unique][-cap:] if cap > 0 else []
        return data_points.custom_value(value)
    if isinstance(value, str) and looks_like_date(value):
        return _set_time(custom, key, value, now, notes)
    custom[key] = value
    return data_points.custom_value(value)


def _inc(custom: dict[str, Any], key: str, by: int | float, notes: list[str]) -> int:
    current = custom.get(key)
    base = current if isinstance(current, int | float) and not isinstance(current, bool) else 0
    # Past a double's range (an int may grow there; a float turns infinite) the sum could not be
    # added to a float later, nor written as JSON: Braze's numbers are doubles.
    result = base + by
    if not abs(result) <= sys.float_info.max:
        notes.append(f"'{key}': incrementing by {by} leaves the number range; left unchanged")
        return 0
    custom[key] = result
    return 1


def _add_remove(custom: dict[str, Any], key: str, value: Mapping[str, Any], cap: int) -> int:
    current = custom.get(key)
    items = [v for v in current if not isinstance(v, dict | list)] if isinstance(current, list) else []
    removed = {_hashable(v) for v in value.get("remove") or []}
    items = [v for v in items if _hashable(v) not in removed]
    added = value.get("add") or []
    for v in added:
        items = [x for x in items if _hashable(x) != _hashable(v)] + [v]  # a re-add moves to the end
    custom[key] = items[-cap:] if cap > 0 else []  # over the cap, the oldest values go
    return data_points.array_update(len(added))


def _set_time(custom: dict[str, Any], key: str, text: str, now: datetime, notes: list[str]) -> int:
    moment = parse_time(text)
    if moment is None:
        notes.append(f"'{key}': {text!r} is not a time; left unchanged")
        return 0
    # Top-level times with a year outside 0..3000 are stored as the string sent.
    custom[key] = text if moment.year > MAX_YEAR else iso(not_after(moment, now))
    return 1


def _set_nested(custom: dict[str, Any], key: str, new: Any, points: int, notes: list[str]) -> int:
    if json_size(new) > MAX_BYTES:
        notes.append(f"'{key}': the result would exceed 100 KB; update dropped")
        return 0
    custom[key] = copy.deepcopy(new)
    return points


def _object_array_ops(
    custom: dict[str, Any], key: str, value: Mapping[str, Any], merge: bool, now: datetime, notes: list[str]
) -> int:
    current = custom.get(key)
    items = [dict(x) for x in current if isinstance(x, dict)] if isinstance(current, list) else []
    removals = value.get("$remove") or []
    for rm in removals:
        items = [x for x in items if not _matches(x, rm)]
    updates = value.get("$update") or []
    for up in updates:
        new_object = resolve_times(up["$new_object"], now)
        items = [(deep_merge(x, new_object) if merge else dict(new_object)) if _matches(x, up) else x for x in items]
    additions = [resolve_times(obj, now) for obj in value.get("$add") or []]
    items.extend(additions)
    points = data_points.object_array_update(additions, [u["$new_object"] for u in updates], len(removals))
    return _set_nested(custom, key, items, points, notes)


def _matches(item: Mapping[str, Any], criterion: Mapping[str, Any]) -> bool:
    key = criterion["$identifier_key"]
    return key in item and _hashable(item[key]) == _hashable(criterion["$identifier_value"])


def _hashable(v: Any) -> Any:
    """A key that tells 1, 1.0 and True apart, as JSON does."""
    return (type(v).__name__, v) if isinstance(v, str | int | float | bool) or v is None else ("json", repr(v))


def _unhashable(k: Any) -> Any:
    return k[1]
