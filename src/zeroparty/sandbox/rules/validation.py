"""Per-object validation for /users/track: the `errors[].type` Braze gives a rejected object.

Sources: https://www.braze.com/docs/api/objects_filters/user_attributes_object ,
https://www.braze.com/docs/api/objects_filters/event_object ,
https://www.braze.com/docs/api/objects_filters/purchase_object ,
https://www.braze.com/docs/user_guide/data/custom_data/custom_attributes (strings up to 255 characters,
array operators), .../array_of_objects ($add, $remove, $update).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

from zeroparty.sandbox.rules.fields import IGNORED_FIELDS, STANDARD_FIELDS, field_problem, valid_phone
from zeroparty.sandbox.rules.identifiers import IdentifierProblem, identify
from zeroparty.sandbox.rules.iso_codes import CURRENCIES
from zeroparty.sandbox.rules.nested import MAX_DEPTH, depth_over
from zeroparty.sandbox.rules.times import parse_time

ARRAYS = ("attributes", "events", "purchases")
# The 400 when no object of a /users/track request is valid (the text public client tests show).
NO_VALID_DATA = "Valid data must be provided in the 'attributes', 'events', or 'purchases' fields."
MAX_STRING = 255
MAX_QUANTITY = 100
CONTROL_KEYS = frozenset({"_update_existing_only", "_merge_objects", "push_token_import"})
IDENTIFIER_KEYS = frozenset({"external_id", "user_alias", "braze_id"})
RESERVED_PROPERTIES = ("time", "event_name")
# Property payloads holding arrays or objects: 100 KB for events, 50 KB for purchases (their pages).
EVENT_PROPERTIES_BYTES = 100 * 1024
PURCHASE_PROPERTIES_BYTES = 50 * 1024
_PRIMITIVE = (str, int, float, bool)


def count_objects(body: Mapping[str, Any]) -> dict[str, int]:
    return {k: len(body[k]) for k in ARRAYS if isinstance(body.get(k), list)}


def over_object_limit(counts: Mapping[str, int], max_objects: int, per_array: bool) -> bool:
    """75 objects combined across the arrays; on contracts that count per array, 75 of each
    (https://www.braze.com/docs/api/api_limits, "Batching requests"; which one applies depends on
    the company's contract: docs/delivery.md, "Batching")."""
    if per_array:
        return any(n > max_objects for n in counts.values())
    return sum(counts.values()) > max_objects


def _addressed(obj: Any, array: str) -> str | None:
    """Every object is a JSON object naming its user by exactly one primary identifier, or by email
    or phone ("Identifier resolution" on https://www.braze.com/docs/api/endpoints/user_data/post_user_track)."""
    if not isinstance(obj, dict):
        return f"Each {array} entry must be an object"
    try:
        ident = identify(obj)
    except IdentifierProblem as exc:
        return str(exc)
    if ident.kind == "phone" and not valid_phone(ident.value):
        return "'phone' must be a valid phone number to identify a user"
    for key in ("_update_existing_only", "_merge_objects", "push_token_import"):
        if key in obj and not isinstance(obj[key], bool):
            return f"'{key}' must be true or false"
    if "app_id" in obj and not isinstance(obj["app_id"], str):
        return "'app_id' must be a string"
    return None


def attributes_problem(obj: Any) -> str | None:
    problem = _addressed(obj, "attributes")
    if problem or not isinstance(obj, dict):
        return problem
    if obj.get("push_token_import") is True and (
        obj.get("external_id") is not None or obj.get("braze_id") is not None or not obj.get("push_tokens")
    ):
        return "'push_token_import' needs push_tokens and no external_id or braze_id (BAD_PUSH_TOKEN_IMPORT)"
    if "email_subscription_info" in obj:
        return "'email_subscription_info' is not valid (INVALID_ATTRIBUTE_EMAIL_SUBSCRIPTION_INFO)"
    for key, value in obj.items():
        if key in CONTROL_KEYS or key in IDENTIFIER_KEYS or key in IGNORED_FIELDS:
            continue
        problem = field_problem(key, value) if key in STANDARD_FIELDS else custom_value_problem(key, value)
        if problem:
            return problem
    return None


def custom_value_problem(key: str, value: Any) -> str | None:
    """Names, values and operator shapes for one custom attribute. Values inside nested objects are
    not judged here: Braze drops those updates instead of rejecting the object (see nested.py)."""
    if not key or len(key) > MAX_STRING:
        return f"Attribute name '{key}' must be 1 to {MAX_STRING} characters"
    if key.startswith("$"):
        # Braze's SDKs refuse names that "cannot begin with a $"
        # (https://js.appboycdn.com/web-sdk/4.5/doc/classes/braze.user.html); `$` marks operators.
        return f"Attribute name '{key}' must not start with $"
    if isinstance(value, str):
        return None if len(value) <= MAX_STRING else f"Attribute '{key}' string values must be at most 255 characters"
    if isinstance(value, float) and not math.isfinite(value):
        return f"Attribute '{key}' must be a finite number"
    if isinstance(value, list):
        return _array_problem(key, value)
    if not isinstance(value, dict):
        return None
    if depth_over(value, MAX_DEPTH):
        return f"Attribute '{key}' is nested more than {MAX_DEPTH} levels deep"
    ops = set(value)
    if ops == {"inc"}:
        return None if _is_number(value["inc"]) else f"Attribute '{key}': inc takes a number"
    if ops and ops <= {"add", "remove"}:
        for op in sorted(ops):
            problem = _array_problem(key, value[op], op, primitives_only=True)
            if problem:
                return problem
        return None
    if ops == {"$time"}:
        return None if isinstance(value["$time"], str) else f"Attribute '{key}': $time takes a date string"
    if ops & {"$add", "$remove", "$update"}:
        return _object_array_ops_problem(key, value, ops)
    return None


def _array_problem(key: str, items: Any, op: str | None = None, primitives_only: bool = False) -> str | None:
    where = f"Attribute '{key}': {op}" if op else f"Attribute '{key}'"
    if not isinstance(items, list):
        return f"{where} takes an array of strings, numbers or booleans"
    if all(isinstance(v, _PRIMITIVE) for v in items):
        if any(isinstance(v, str) and len(v) > MAX_STRING for v in items):
            return f"{where} array values must be at most 255 characters"
        if any(isinstance(v, float) and not math.isfinite(v) for v in items):
            return f"{where} array values must be finite numbers"
        return None
    if primitives_only:
        return f"{where} takes an array of strings, numbers or booleans"
    if all(isinstance(v, dict) for v in items):
        return (
            f"Attribute '{key}' is nested more than {MAX_DEPTH} levels deep" if depth_over(items, MAX_DEPTH) else None
        )
    return f"{where} arrays hold either primitives or objects"


def _object_array_ops_problem(key: str, value: dict[str, Any], ops: set[str]) -> str | None:
    if not ops <= {"$add", "$remove", "$update"}:
        return f"Attribute '{key}': $add, $remove and $update cannot be mixed with other keys"
    for op in sorted(ops):
        items = value[op]
        if not isinstance(items, list) or not all(isinstance(v, dict) for v in items):
            return f"Attribute '{key}': {op} takes an array of objects"
        if op != "$add" and not all(
            isinstance(v.get("$identifier_key"), str) and "$identifier_value" in v for v in items
        ):
            return f"Attribute '{key}': {op} items need $identifier_key and $identifier_value"
        if op == "$update" and not all(isinstance(v.get("$new_object"), dict) for v in items):
            return f"Attribute '{key}': $update items need a $new_object object"
    return None


def _is_number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)


def _properties_problem(props: Any, max_bytes: int) -> str | None:
    if props is None:
        return None
    if not isinstance(props, dict):
        return "'properties' must be an object"
    # The rejected field is 'properties'; the property itself is named without quotes, so the
    # quoted name stays the object's field (see "Per-field rejection texts" in the docs).
    for key, value in props.items():
        if not key or len(key) > MAX_STRING:
            return "'properties' names must be 1 to 255 characters"
        if key.startswith("$"):
            return f"'properties' names must not start with $ ({key})"
        if key in RESERVED_PROPERTIES:
            return f"'properties' must not use the reserved name {key}"
        if isinstance(value, str) and len(value) > MAX_STRING:
            return f"'properties' string values must be at most 255 characters ({key})"
    if depth_over(props, MAX_DEPTH):
        return f"'properties' are nested more than {MAX_DEPTH} levels deep"
    if any(isinstance(v, list | dict) for v in props.values()):
        try:
            size = len(json.dumps(props, allow_nan=False).encode())
        except ValueError:
            return "'properties' values must be finite numbers"
        if size > max_bytes:
            return f"'properties' holding arrays or objects must be at most {max_bytes // 1024} KB"
    return None


def event_problem(obj: Any) -> str | None:
    problem = _addressed(obj, "events")
    if problem or not isinstance(obj, dict):
        return problem
    name = obj.get("name")
    if not isinstance(name, str) or not name:
        return "'name' is required"
    if len(name) > MAX_STRING:
        return "'name' must be at most 255 characters"
    if parse_time(obj.get("time")) is None:
        return "'time' is required and must be an ISO-8601 time"
    return _properties_problem(obj.get("properties"), EVENT_PROPERTIES_BYTES)


def purchase_problem(obj: Any) -> str | None:
    problem = _addressed(obj, "purchases")
    if problem or not isinstance(obj, dict):
        return problem
    product = obj.get("product_id")
    if not isinstance(product, str) or not product or len(product) > MAX_STRING:
        return "'product_id' is required and must be at most 255 characters"
    currency = obj.get("currency")
    if not isinstance(currency, str) or currency.upper() not in CURRENCIES:
        return "'currency' is required and must be an ISO-4217 code"
    if not _is_number(obj.get("price")):
        return "'price' is required and must be a number"
    quantity = obj.get("quantity", 1)
    if isinstance(quantity, bool) or not isinstance(quantity, int) or not 1 <= quantity <= MAX_QUANTITY:
        return "'quantity' is not valid"
    if parse_time(obj.get("time")) is None:
        return "'time' is required and must be an ISO-8601 time"
    return _properties_problem(obj.get("properties"), PURCHASE_PROPERTIES_BYTES)


def object_problem(array: str, obj: Any) -> str | None:
    if array == "attributes":
        return attributes_problem(obj)
    return event_problem(obj) if array == "events" else purchase_problem(obj)
