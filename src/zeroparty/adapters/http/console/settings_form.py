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
    choices: tuple[tuple[str, str], ...] = ()  # (value, label)
    unit: str = ""

    @property
    def help(self) -> str:
        info = DestinationSettings.model_fields[self.key]
        return info.description or ""


FIELDS: tuple[SettingField, ...] = (
    SettingField(
        "identity",
        "Identify people by",
        "select",
        (
            ("email", "Email address"),
            ("external_id", "External ID (signed by your site)"),
            ("user_alias", "User alias"),
        ),
    ),
    SettingField("identify_emails", "Merge email-only profiles on first external ID", "checkbox"),
    SettingField("alias_label", "Alias label", "text"),
    SettingField(
        "update_existing_only",
        "Update existing profiles only",
        "select",
        (("", "Braze's default for the identity"), ("true", "Yes"), ("false", "No")),
    ),
    SettingField(
        "batch_limits",
        "Contract's request limits",
        "select",
        (("combined", "75 objects per request in all"), ("per_array", "75 attributes + 75 events + 75 purchases")),
    ),
    SettingField("max_objects", "Objects per request", "number"),
    SettingField("requests_per_second", "Requests per second", "number"),
    SettingField("max_in_flight", "Requests at once", "number"),
    SettingField("array_limit", "Items kept per array attribute", "number"),
    SettingField("completion_event", "Completion event name", "text"),
    SettingField("monthly_data_point_budget", "Monthly data-point budget", "number"),
    SettingField(
        "over_budget", "Past the budget", "select", (("send", "Keep sending, warn"), ("hold", "Hold until next month"))
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
