"""Braze's own profile fields in an attributes object: how each is validated and stored.

Field list and rules: https://www.braze.com/docs/api/objects_filters/user_attributes_object ("Braze user
profile fields"); error codes: https://www.braze.com/docs/api/endpoints/user_data/post_user_track
("Endpoint-specific errors"). Where public client tests show Braze's sentence (email, subscription
state), the sentence is used; otherwise the documented code.
"""

from __future__ import annotations

import re
import zoneinfo
from datetime import date
from typing import Any, Final

from zeroparty.sandbox.rules.emails import valid_email
from zeroparty.sandbox.rules.iso_codes import country_code
from zeroparty.sandbox.rules.times import iso, parse_time

STANDARD_FIELDS = frozenset(
    {
        "country", "current_location", "date_of_first_session", "date_of_last_session", "dob", "email",
        "email_subscribe", "email_open_tracking_disabled", "email_click_tracking_disabled", "first_name",
        "last_name", "gender", "home_city", "language", "phone", "push_subscribe", "push_tokens",
        "subscription_groups", "time_zone", "marked_email_as_spam_at", "facebook", "twitter", "image_url",
    }
)  # fmt: skip
# `bio` was removed from Braze's profile and "is not processed, not even as a custom attribute".
IGNORED_FIELDS = frozenset({"bio"})
SUBSCRIPTION_STATES = ("opted_in", "unsubscribed", "subscribed")
GROUP_STATES = ("subscribed", "unsubscribed")
GENDERS = ("M", "F", "O", "N", "P")
EMAIL_PROBLEM = "The value provided for the 'email' field is not a valid email."
_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_LANGUAGE = re.compile(r"^[A-Za-z]{2,3}$")  # ISO 639-1, plus the few three-letter codes Braze lists
_STRING_FIELDS = ("first_name", "last_name", "home_city", "phone", "image_url", "country", "time_zone")
_DATE_FIELDS = ("date_of_first_session", "date_of_last_session", "marked_email_as_spam_at")


class _Skip:
    """A value Braze accepts but does not set (an unknown time zone, for instance)."""


SKIP: Final = _Skip()


def valid_phone(value: object) -> bool:
    """Braze looks users up by phone "only if you include a valid phone number"; E.164 is advised."""
    if not isinstance(value, str):
        return False
    digits = re.sub(r"[\s().-]", "", value)
    return bool(re.fullmatch(r"\+?[0-9]{7,15}", digits))


def is_uuid(value: object) -> bool:
    return isinstance(value, str) and bool(_UUID.match(value))


def field_problem(key: str, value: Any) -> str | None:
    """Why Braze rejects this value for a profile field (the object's `errors[].type`), or None."""
    if value is None:
        return None  # null unsets the field
    if key == "email":
        return None if valid_email(value) else EMAIL_PROBLEM
    if key in ("email_subscribe", "push_subscribe"):
        return None if value in SUBSCRIPTION_STATES else f"'{key}' must be one of opted_in, unsubscribed or subscribed"
    if key == "gender":
        return None if value in GENDERS else "'gender' must be one of M, F, O, N, P or null"
    if key == "dob":
        return None if _is_date(value) else "'dob' must be a date string YYYY-MM-DD"
    if key == "language":
        return None if isinstance(value, str) and _LANGUAGE.match(value) else "'language' must be an ISO-639-1 code"
    if key in _STRING_FIELDS:
        return None if isinstance(value, str) else f"'{key}' must be a string or null"
    if key in _DATE_FIELDS:
        return None if parse_time(value) is not None else f"'{key}' must be a date string"
    if key in ("email_open_tracking_disabled", "email_click_tracking_disabled"):
        return None if isinstance(value, bool) else f"'{key}' must be true or false"
    if key == "current_location":
        return (
            None if _is_location(value) else "'current_location' must be a longitude and latitude (BAD_LOCATION_UPDATE)"
        )
    if key in ("facebook", "twitter"):
        return None if isinstance(value, dict) else f"'{key}' must be an object"
    if key == "subscription_groups":
        return _groups_problem(value)
    if key == "push_tokens":
        return _push_tokens_problem(value)
    return None


def stored_value(key: str, value: Any) -> Any:
    """What Braze keeps for a valid value: None unsets, SKIP leaves the field as it was."""
    if value is None:
        return None
    if key == "email":
        return value.strip().lower()
    if key == "country":
        return country_code(value)  # best-effort mapping; no match is stored as null
    if key == "language":
        return value.lower()
    if key == "time_zone":
        return value if _is_time_zone(value) else SKIP  # "Only valid time zone values are set."
    if key in _DATE_FIELDS:
        moment = parse_time(value)
        return iso(moment) if moment is not None else SKIP
    return value


def merge_groups(current: Any, updates: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each update sets one group's state; the user's other groups keep theirs."""
    groups = {g["subscription_group_id"]: g for g in current or [] if isinstance(g, dict)}
    for u in updates:
        groups[u["subscription_group_id"]] = {
            "subscription_group_id": u["subscription_group_id"],
            "subscription_state": u["subscription_state"],
        }
    return list(groups.values())


def merge_push_tokens(current: Any, tokens: list[dict[str, Any]]) -> list[dict[str, Any]]:
    known = {t["token"]: t for t in current or [] if isinstance(t, dict)}
    for t in tokens:
        known[t["token"]] = {k: t[k] for k in ("app_id", "token", "device_id") if k in t}
    return list(known.values())


def _is_date(value: Any) -> bool:
    if not isinstance(value, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        return False
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True


def _is_time_zone(value: str) -> bool:
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return False
    return True


def _is_number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def _is_location(value: Any) -> bool:
    return (
        isinstance(value, dict)
        and set(value) == {"longitude", "latitude"}
        and _is_number(value["longitude"])
        and _is_number(value["latitude"])
        and -180 <= value["longitude"] <= 180
        and -90 <= value["latitude"] <= 90
    )


def _groups_problem(groups: Any) -> str | None:
    if not isinstance(groups, list):
        return "'subscription_groups' must be an array (BAD_SUBSCRIPTION_GROUP_ARRAY)"
    for group in groups:
        if not isinstance(group, dict):
            return "'subscription_groups' entries must be objects (BAD_SUBSCRIPTION_GROUP_HASH)"
        if not is_uuid(group.get("subscription_group_id")):
            return "'subscription_groups' entries need a UUID subscription_group_id (BAD_SUBSCRIPTION_GROUP_ID)"
        if group.get("subscription_state") not in GROUP_STATES:
            return "'subscription_groups' states must be subscribed or unsubscribed (BAD_SUBSCRIPTION_GROUP_STATE)"
    return None


def _push_tokens_problem(tokens: Any) -> str | None:
    if not isinstance(tokens, list):
        return "'push_tokens' must be an array of objects (BAD_PUSH_TOKEN_VALUE)"
    for token in tokens:
        if not isinstance(token, dict):
            return "'push_tokens' must be an array of objects (BAD_PUSH_TOKEN_VALUE)"
        if not isinstance(token.get("app_id"), str) or not token["app_id"]:
            return "'push_tokens' entries need an app_id (BAD_PUSH_TOKEN_APP_ID)"
        if not isinstance(token.get("token"), str) or not token["token"]:
            return "'push_tokens' entries need a token string (BAD_PUSH_TOKEN_STRING)"
        device = token.get("device_id")
        if device is not None and not (isinstance(device, str) and 8 <= len(device.encode()) <= 255):
            return "'push_tokens' device_id must be 8 to 255 bytes (BAD_DEVICE_ID)"
    return None
