"""Braze naming rules for attributes we write.

Sources: https://www.braze.com/docs/api/objects_filters/user_attributes_object (profile fields,
control keys) and https://www.braze.com/docs/user_guide/data/custom_data/custom_attributes
(names and string values up to 255 characters).
"""

from __future__ import annotations

MAX_NAME = 255
MAX_STRING = 255

# Profile fields an element may write directly (a text input named `first_name` fills Braze's own).
WRITABLE_PROFILE_FIELDS = frozenset(
    {"first_name", "last_name", "home_city", "country", "language", "phone", "dob", "gender", "time_zone"}
)

# Names zeroparty sets itself or Braze treats as identifiers / control keys.
RESERVED = frozenset(
    {
        "email",
        "email_subscribe",
        "push_subscribe",
        "external_id",
        "braze_id",
        "user_alias",
        "alias_name",
        "alias_label",
        "push_tokens",
        "subscription_groups",
        "current_location",
        "email_subscription_info",
        "_update_existing_only",
        "_merge_objects",
        "push_token_import",
        "app_id",
    }
)


# Braze's other profile fields: Braze sets them itself or they are not what an answer describes; a
# custom attribute cannot take these names either (Braze would store the value in its own field).
OTHER_PROFILE_FIELDS = frozenset(
    {
        "date_of_first_session",
        "date_of_last_session",
        "marked_email_as_spam_at",
        "email_open_tracking_disabled",
        "email_click_tracking_disabled",
        "facebook",
        "twitter",
        "bio",
    }
)


def attribute_name_problem(name: str) -> str | None:
    """Why `name` cannot be a Braze attribute we write, or None when it can."""
    if not name or not name.strip():
        return "attribute name must not be empty"
    if len(name) > MAX_NAME:
        return f"attribute name is {len(name)} characters; Braze allows at most {MAX_NAME}"
    if name.startswith("$"):
        return "attribute name must not start with '$' (Braze operator prefix)"
    if name in RESERVED:
        return f"'{name}' is a Braze identifier or control field, not an attribute an element can fill"
    if name in OTHER_PROFILE_FIELDS:
        writable = ", ".join(sorted(WRITABLE_PROFILE_FIELDS))
        return f"'{name}' is a Braze profile field zeroparty does not write; the writable ones are {writable}"
    return None
