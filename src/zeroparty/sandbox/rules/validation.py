"""Per-object validation for /users/track, with the error texts the sandbox returns in `errors[].type`.

Sources: https://www.braze.com/docs/api/objects_filters/user_attributes_object ,
https://www.braze.com/docs/api/objects_filters/event_object ,
https://www.braze.com/docs/api/objects_filters/purchase_object .
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from zeroparty.sandbox.rules.identifiers import IdentifierProblem, identify

MAX_STRING = 255
MAX_QUANTITY = 100
SUBSCRIPTION_STATES = frozenset({"opted_in", "unsubscribed", "subscribed"})
GENDERS = frozenset({"M", "F", "O", "N", "P"})
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_DOB = re.compile(r"^\d{4}-\d{2}-\d{2}$")
CONTROL_KEYS = frozenset({"_update_existing_only", "_merge_objects", "push_token_import"})
IDENTIFIER_KEYS = frozenset({"external_id", "user_alias", "braze_id"})
_TIME_FORMATS = ("%Y-%m-%dT%H:%M:%S:%f%z", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d", "%m/%d/%Y")


def parse_time(value: Any, now: datetime) -> datetime | None:
    """A Braze time value, or None when it is not one. Future times become now (Braze does so)."""
    if not isinstance(value, str) or not value:
        return None
    parsed: datetime | None = None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        for fmt in _TIME_FORMATS:
            try:
                parsed = datetime.strptime(value, fmt)
                break
            except ValueError:
                continue
    if parsed is None:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return min(parsed.astimezone(UTC), now)


def _properties_problem(props: Any) -> str | None:
    if props is None:
        return None
    if not isinstance(props, dict):
        return "'properties' must be an object"
    for key, value in props.items():
        if not key or len(key) > MAX_STRING:
            return f"Property name '{key[:40]}' must be 1 to 255 characters"
        if key.startswith("$"):
            return f"Property name '{key}' must not start with '$'"
        if key in ("time", "event_name"):
            return f"'{key}' is a reserved property name"
        if isinstance(value, str) and len(value) > MAX_STRING:
            return f"Property '{key}' string values must be at most 255 characters"
    return None


def _addressed_object_problem(obj: Any, array: str) -> str | None:
    """Every object is a JSON object naming its user by exactly one identifier."""
    if not isinstance(obj, dict):
        return f"Each {array} entry must be an object"
    try:
        identify(obj)
    except IdentifierProblem as exc:
        return str(exc)
    return None


def attributes_problem(obj: Any) -> str | None:
    problem = _addressed_object_problem(obj, "attributes")
    if problem or not isinstance(obj, dict):
        return problem
    email = obj.get("email")
    if email is not None and (not isinstance(email, str) or not _EMAIL.match(email)):
        return "The value provided for the 'email' field is not a valid email."
    for key in ("email_subscribe", "push_subscribe"):
        if obj.get(key) is not None and obj[key] not in SUBSCRIPTION_STATES:
            return f"'{key}' must be one of opted_in, unsubscribed or subscribed"
    if obj.get("gender") is not None and obj["gender"] not in GENDERS:
        return "'gender' must be one of M, F, O, N, P or null"
    if obj.get("dob") is not None and (not isinstance(obj["dob"], str) or not _DOB.match(obj["dob"])):
        return "'dob' must be a date string YYYY-MM-DD"
    if obj.get("language") is not None and not (isinstance(obj["language"], str) and len(obj["language"]) == 2):
        return "'language' must be an ISO-639-1 code"
    if "email_subscription_info" in obj:
        return "INVALID_ATTRIBUTE_EMAIL_SUBSCRIPTION_INFO"
    groups = obj.get("subscription_groups")
    if groups is not None:
        problem = _subscription_groups_problem(groups)
        if problem:
            return problem
    for key in ("first_name", "last_name", "home_city", "phone", "country", "language", "time_zone"):
        if obj.get(key) is not None and not isinstance(obj[key], str):
            return f"'{key}' must be a string or null"
    for key, value in obj.items():
        if len(key) > MAX_STRING:
            return f"Attribute name '{key[:40]}…' must be at most 255 characters"
        if isinstance(value, str) and len(value) > MAX_STRING and key not in IDENTIFIER_KEYS:
            return f"Attribute '{key}' string values must be at most 255 characters"
        if key not in CONTROL_KEYS and key not in IDENTIFIER_KEYS and key not in STANDARD_KEYS:
            problem = custom_value_problem(key, value)
            if problem:
                return problem
    return None


STANDARD_KEYS = frozenset(
    {
        "country", "current_location", "date_of_first_session", "date_of_last_session", "dob", "email",
        "email_subscribe", "email_open_tracking_disabled", "email_click_tracking_disabled", "first_name",
        "last_name", "gender", "home_city", "language", "phone", "push_subscribe", "push_tokens",
        "subscription_groups", "time_zone", "marked_email_as_spam_at", "facebook", "twitter", "image_url",
    }
)  # fmt: skip
_PRIMITIVE = (str, int, float, bool)


def _is_number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def custom_value_problem(key: str, value: Any) -> str | None:
    """Operator shapes for a custom attribute (custom_attributes, array_of_objects pages)."""
    if not isinstance(value, dict):
        if isinstance(value, list) and not (
            all(isinstance(v, _PRIMITIVE) for v in value) or all(isinstance(v, dict) for v in value)
        ):
            return f"Attribute '{key}' arrays hold either primitives or objects"
        return None
    ops = set(value)
    if ops == {"inc"}:
        return None if _is_number(value["inc"]) else f"Attribute '{key}': 'inc' takes a number"
    if ops and ops <= {"add", "remove"}:
        for op in ops:
            items = value[op]
            if not isinstance(items, list) or not all(isinstance(v, _PRIMITIVE) for v in items):
                return f"Attribute '{key}': '{op}' takes an array of strings, numbers or booleans"
        return None
    if ops == {"$time"}:
        return None if isinstance(value["$time"], str) else f"Attribute '{key}': '$time' takes a date string"
    if ops & {"$add", "$remove", "$update"}:
        if not ops <= {"$add", "$remove", "$update"}:
            return f"Attribute '{key}': '$add', '$remove' and '$update' cannot be mixed with other keys"
        for op in ops:
            items = value[op]
            if not isinstance(items, list) or not all(isinstance(v, dict) for v in items):
                return f"Attribute '{key}': '{op}' takes an array of objects"
            if op != "$add" and not all(
                isinstance(v.get("$identifier_key"), str) and "$identifier_value" in v for v in items
            ):
                return f"Attribute '{key}': '{op}' items need '$identifier_key' and '$identifier_value'"
            if op == "$update" and not all(isinstance(v.get("$new_object"), dict) for v in items):
                return f"Attribute '{key}': '$update' items need a '$new_object' object"
        return None
    if any(" " in k for k in value):
        return f"Attribute '{key}': nested object keys cannot contain spaces"
    return None


def _subscription_groups_problem(groups: Any) -> str | None:
    if not isinstance(groups, list):
        return "BAD_SUBSCRIPTION_GROUP_ARRAY"
    for group in groups:
        if not isinstance(group, dict):
            return "BAD_SUBSCRIPTION_GROUP_HASH"
        if not isinstance(group.get("subscription_group_id"), str) or not _UUID.match(group["subscription_group_id"]):
            return "BAD_SUBSCRIPTION_GROUP_ID"
        if group.get("subscription_state") not in ("subscribed", "unsubscribed"):
            return "BAD_SUBSCRIPTION_GROUP_STATE"
    return None


def event_problem(obj: Any, now: datetime) -> str | None:
    problem = _addressed_object_problem(obj, "events")
    if problem or not isinstance(obj, dict):
        return problem
    name = obj.get("name")
    if not isinstance(name, str) or not name:
        return "'name' is required"
    if len(name) > MAX_STRING:
        return "'name' must be at most 255 characters"
    if parse_time(obj.get("time"), now) is None:
        return "'time' is required and must be an ISO-8601 time"
    return _properties_problem(obj.get("properties"))


def purchase_problem(obj: Any, now: datetime) -> str | None:
    problem = _addressed_object_problem(obj, "purchases")
    if problem or not isinstance(obj, dict):
        return problem
    product = obj.get("product_id")
    if not isinstance(product, str) or not product or len(product) > MAX_STRING:
        return "'product_id' is required and must be at most 255 characters"
    currency = obj.get("currency")
    if not isinstance(currency, str) or not re.fullmatch(r"[A-Za-z]{3}", currency):
        return "'currency' is required and must be an ISO-4217 code"
    price = obj.get("price")
    if isinstance(price, bool) or not isinstance(price, int | float):
        return "'price' is required and must be a number"
    quantity = obj.get("quantity", 1)
    if isinstance(quantity, bool) or not isinstance(quantity, int) or not 1 <= quantity <= MAX_QUANTITY:
        return "'quantity' is not valid"
    if parse_time(obj.get("time"), now) is None:
        return "'time' is required and must be an ISO-8601 time"
    return _properties_problem(obj.get("properties"))


def count_objects(body: Mapping[str, Any]) -> dict[str, int]:
    return {k: len(body[k]) for k in ("attributes", "events", "purchases") if isinstance(body.get(k), list)}
