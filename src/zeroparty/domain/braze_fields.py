"""Braze naming rules for attributes we write, and what zeroparty does with each of Braze's own
profile fields.

Sources: https://www.braze.com/docs/api/objects_filters/user_attributes_object ("Braze user profile
fields": a value sent under one of these names lands in the profile's own field, not in a custom
attribute) and https://www.braze.com/docs/user_guide/data/custom_data/custom_attributes (names and
string values up to 255 characters).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

MAX_NAME = 255

# How zeroparty treats a profile field:
# - standard: an element may fill it; its value is put in Braze's format first (domain.experience.standard_fields);
# - identifier: zeroparty sets it itself from the identity (the email element, external ids, aliases);
# - consent: set from consent boxes only (domain.experience.consent), never from an answer;
# - not_written: Braze sets it itself, or it holds something no answer describes (an object, a
#   picture, a device); a custom attribute of that name would land in the profile field, so it is refused.
Use = Literal["standard", "identifier", "consent", "not_written"]


@dataclass(frozen=True)
class ProfileField:
    name: str
    use: Use
    holds: str  # what Braze keeps there


# Every field of Braze's user attributes object (the page above), and the identifiers it names.
PROFILE_FIELDS: dict[str, ProfileField] = {
    f.name: f
    for f in (
        ProfileField("first_name", "standard", "a string"),
        ProfileField("last_name", "standard", "a string"),
        ProfileField("home_city", "standard", "a string"),
        ProfileField("gender", "standard", "M, F, O, N or P"),
        ProfileField("dob", "standard", "a date of birth, YYYY-MM-DD"),
        ProfileField("phone", "standard", "a phone number, E.164 recommended"),
        ProfileField("country", "standard", "an ISO 3166-1 alpha-2 code"),
        ProfileField("language", "standard", "an ISO 639-1 code"),
        ProfileField("time_zone", "standard", "an IANA time zone name"),
        ProfileField("email", "identifier", "the email address"),
        ProfileField("external_id", "identifier", "the brand's user id"),
        ProfileField("braze_id", "identifier", "Braze's own user id"),
        ProfileField("user_alias", "identifier", "an alias object"),
        ProfileField("alias_name", "identifier", "an alias's name"),
        ProfileField("alias_label", "identifier", "an alias's label"),
        ProfileField("email_subscribe", "consent", "the email subscription state"),
        ProfileField("subscription_groups", "consent", "subscription group states"),
        ProfileField("push_subscribe", "not_written", "the push subscription state"),
        ProfileField("push_tokens", "not_written", "a device's push tokens"),
        ProfileField("image_url", "not_written", "the URL of the profile's picture"),
        ProfileField("current_location", "not_written", "a longitude and latitude"),
        ProfileField("date_of_first_session", "not_written", "when the user first used the app"),
        ProfileField("date_of_last_session", "not_written", "when the user last used the app"),
        ProfileField("marked_email_as_spam_at", "not_written", "when the user marked an email as spam"),
        ProfileField("email_open_tracking_disabled", "not_written", "whether email opens are tracked"),
        ProfileField("email_click_tracking_disabled", "not_written", "whether email clicks are tracked"),
        ProfileField("facebook", "not_written", "a Facebook object"),
        ProfileField("twitter", "not_written", "a Twitter object"),
        # Removed from the profile; Braze processes it "not even as a custom attribute".
        ProfileField("bio", "not_written", "nothing any more"),
    )
}

# Keys of an attributes object that are instructions to Braze, not data about the user.
CONTROL_KEYS = frozenset(
    {"_update_existing_only", "_merge_objects", "push_token_import", "app_id", "email_subscription_info"}
)

# Profile fields an element may write directly (a text input named `first_name` fills Braze's own).
WRITABLE_PROFILE_FIELDS = frozenset(name for name, f in PROFILE_FIELDS.items() if f.use == "standard")
# Names zeroparty sets itself or Braze treats as identifiers / control keys.
RESERVED = CONTROL_KEYS | {name for name, f in PROFILE_FIELDS.items() if f.use in ("identifier", "consent")}
# Braze's other profile fields: a custom attribute cannot take these names either.
OTHER_PROFILE_FIELDS = frozenset(name for name, f in PROFILE_FIELDS.items() if f.use == "not_written")


def attribute_name_problem(name: str) -> str | None:
    """Why `name` cannot be a Braze attribute we write, or None when it can (a custom attribute,
    or one of the standard fields, whose format domain.experience.standard_fields checks)."""
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
        return (
            f"'{name}' is a Braze profile field zeroparty does not write ({PROFILE_FIELDS[name].holds}), "
            f"not a custom attribute; the writable ones are {writable}"
        )
    return None
