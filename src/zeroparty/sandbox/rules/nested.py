"""Nested custom attributes: objects and arrays of objects held in a custom attribute.

https://www.braze.com/docs/user_guide/data/activation/attributes/nested_custom_attribute_support/ :
key names and string values at most 255 characters, no spaces in key names, no '.' or '$' in them,
dates as {"$time": ...}, at most 100 KB per object ("If an update causes the object to exceed
100 KB, Braze drops the update, and the attribute is unchanged"); years below 0 or above 3000 are
not stored. https://www.braze.com/docs/api/endpoints/user_data/post_user_track (FAQ): "When a nested
custom attribute contains any invalid values (such as invalid time formats or null values), all
nested custom attribute updates in the request will be dropped from processing."
"""

from __future__ import annotations

import json
import math
from typing import Any

from zeroparty.sandbox.rules.times import MAX_YEAR, iso, not_after, parse_time

MAX_BYTES = 100 * 1024
MAX_DEPTH = 50  # a sandbox bound (Braze documents none) that keeps every walk over a value shallow
MAX_STRING = 255


def depth_over(value: Any, limit: int) -> bool:
    """Whether `value` nests lists/objects more than `limit` levels (iteratively: no recursion)."""
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict | list):
            if level >= limit:
                return True
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, level + 1) for child in children)
    return False


def json_size(value: Any) -> int:
    return len(json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode())


def is_time(value: Any) -> bool:
    return isinstance(value, dict) and set(value) == {"$time"}


def is_nested_update(value: Any) -> bool:
    """A custom attribute value that Braze treats as nested: an object (not an operator) or an array
    of objects, set whole or changed with $add / $update."""
    if isinstance(value, list):
        return bool(value) and all(isinstance(v, dict) for v in value)
    if not isinstance(value, dict) or not value:
        return False
    ops = set(value)
    return not (ops == {"inc"} or ops <= {"add", "remove"} or ops == {"$time"})


def nested_problem(value: Any) -> str | None:
    """Why a nested update holds an invalid value (then every nested update in the request is
    dropped), or None."""
    if isinstance(value, dict) and set(value) & {"$add", "$remove", "$update"}:
        objects = list(value.get("$add") or []) + [u.get("$new_object") for u in value.get("$update") or []]
        return next((p for p in map(_object_problem, objects) if p), None)
    if isinstance(value, list):
        return next((p for p in map(_object_problem, value) if p), None)
    return _object_problem(value)


def _object_problem(obj: Any) -> str | None:
    stack: list[tuple[str, Any]] = [("", obj)]
    while stack:
        path, item = stack.pop()
        if item is None:
            return f"null value at '{path or '.'}'"
        if isinstance(item, float) and not math.isfinite(item):
            return f"non-finite number at '{path}'"
        if isinstance(item, str) and len(item) > MAX_STRING:
            return f"string over {MAX_STRING} characters at '{path}'"
        if is_time(item):
            if parse_time(item["$time"]) is None:
                return f"invalid $time at '{path}'"
            continue
        if isinstance(item, dict):
            for key, child in item.items():
                if not key or len(key) > MAX_STRING or any(c in key for c in " .$"):
                    return f"invalid key name '{key[:40]}' (no spaces, '.' or '$'; 1 to 255 characters)"
                stack.append((f"{path}.{key}" if path else key, child))
        elif isinstance(item, list):
            stack.extend((f"{path}[{i}]", child) for i, child in enumerate(item))
    return None


def resolve_times(value: Any, now: Any) -> Any:
    """Replace {"$time": ...} by the time it names (future times become now); keys whose year is
    outside 0..3000 are not stored. Only called on values nested_problem accepted."""
    if is_time(value):
        moment = parse_time(value["$time"])
        return None if moment is None or moment.year > MAX_YEAR else iso(not_after(moment, now))
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            resolved = resolve_times(v, now)
            if resolved is not None or not is_time(v):
                out[k] = resolved
        return out
    if isinstance(value, list):
        return [resolve_times(v, now) for v in value]
    return value


def deep_merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for k, v in extra.items():
        merged[k] = deep_merge(merged[k], v) if isinstance(v, dict) and isinstance(merged.get(k), dict) else v
    return merged


def count_keys(obj: Any) -> int:
    """Data points for a nested object: "Every key in the object will count as a data point"
    (https://www.braze.com/docs/user_guide/data/data_points/, "Nested custom attributes")."""
    if not isinstance(obj, dict):
        return 1
    return sum(count_keys(v) if isinstance(v, dict) and not is_time(v) else 1 for v in obj.values()) or 1
