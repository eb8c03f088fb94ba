"""A destination's settings as a form: which settings it shows, how each is entered, and the form's
values turned into the `key=value` assignments the CLI's `destinations set` takes, so both faces
validate alike (domain/destination_config.py)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from zeroparty.domain.destination_settings import DestinationSettings


@dataclass(frozen=True)
class SettingField:
    key: str
    label: str
    kind: str  # select | number | text | checkbox
    help: str
    choices: tuple[tuple[str, str], ...] = ()  # (value, label)


FIELDS: tuple[SettingField, ...] = (
    SettingField(
        "identity",
        "Identify people by",
        "select",
        "How a person's Braze profile is found: by their email, by an external ID your site signs, or by an alias.",
        (
            ("email", "Email address"),
            ("external_id", "External ID (signed by your site)"),
            ("user_alias", "User alias"),
        ),
    ),
    SettingField(
        "identify_emails",
        "Merge email-only profiles on first external ID",
        "checkbox",
        "Folds a profile Braze knows only by email into the identified one, instead of making a second. "
        "Needs the users.identify permission.",
    ),
    SettingField(
        "alias_label", "Alias label", "text", "With identity by alias: the alias's label; its name is the email."
    ),
    SettingField(
        "update_existing_only",
        "Update existing profiles only",
        "select",
        "Whether Braze may create profiles it does not have yet.",
        (("", "Braze's default for the identity"), ("true", "Yes: never create"), ("false", "No: create as needed")),
    ),
    SettingField(
        "batch_limits",
        "Contract's request limits",
        "select",
        "How your Braze contract counts objects per request.",
        (("combined", "75 objects per request in all"), ("per_array", "75 attributes + 75 events + 75 purchases")),
    ),
    SettingField("max_objects", "Objects per request", "number", "At most 75; lower sends smaller requests."),
    SettingField(
        "requests_per_second",
        "Requests per second",
        "number",
        "This destination's share of the workspace's 3,000 requests per 3 seconds.",
    ),
    SettingField("max_in_flight", "Requests at once", "number", "Requests waiting for Braze's answer at one time."),
    SettingField(
        "array_limit",
        "Items kept per array attribute",
        "number",
        "25, or up to 500 where your company had Braze raise it.",
    ),
    SettingField(
        "completion_event",
        "Completion event name",
        "text",
        "A custom event sent once per completed response; empty: none.",
    ),
    SettingField(
        "monthly_data_point_budget",
        "Monthly data-point budget",
        "number",
        "Data points this destination may spend per calendar month (UTC); empty: no budget.",
    ),
    SettingField(
        "over_budget",
        "Past the budget",
        "select",
        "What happens once the month's budget is spent.",
        (("send", "Keep sending, warn"), ("hold", "Hold updates until next month")),
    ),
)


def shown_values(settings: DestinationSettings) -> dict[str, str]:
    """Each field's current value as the form shows it."""
    data = settings.model_dump(mode="json")
    values: dict[str, str] = {}
    for f in FIELDS:
        value: Any = data[f.key]
        if value is None:
            values[f.key] = ""
        elif isinstance(value, bool):
            values[f.key] = "true" if value else "false"
        elif isinstance(value, float) and value.is_integer():
            values[f.key] = str(int(value))
        else:
            values[f.key] = str(value)
    return values


def assignments(posted: dict[str, str]) -> list[str]:
    """The assignments a posted settings form makes (an emptied field resets its setting)."""
    made = []
    for f in FIELDS:
        if f.kind == "checkbox":
            made.append(f"{f.key}={'true' if posted.get(f.key) == 'true' else 'false'}")
        elif f.key in posted:
            made.append(f"{f.key}={posted[f.key].strip()}")
    return made
