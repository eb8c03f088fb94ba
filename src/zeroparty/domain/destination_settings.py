"""Per-destination settings, and what they make of a user's profile changes.

The outbox holds each change once, under zeroparty's own names (attribute IDs, consent keys);
every destination turns it into Braze's shape with its own settings when it sends: identity,
renames and exclusions, subscription groups, the completion event, the batch limits and the
request budget. Sources for the limits: https://www.braze.com/docs/api/api_limits.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_serializer, field_validator, model_validator

from zeroparty.domain.braze_fields import attribute_name_problem

_UUID = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
_EVENT_NAME = re.compile(r"^[^$\x00-\x1f][^\x00-\x1f]{0,254}$")

Identity = Literal["email", "external_id", "user_alias"]
BatchLimits = Literal["combined", "per_array"]
OverBudget = Literal["send", "hold"]
# Braze keeps at most 25 items in an array attribute unless the company had it raised, up to 500
# (https://www.braze.com/docs/user_guide/data/custom_data/custom_attributes/#arrays).
DEFAULT_ARRAY_LIMIT = 25
MAX_ARRAY_LIMIT = 500
DEFAULT_DEDUPE_MAX_AGE = timedelta(days=7)
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([dhms])\s*$")
_UNITS = {"d": 86400, "h": 3600, "m": 60, "s": 1}


def parse_duration(value: Any) -> Any:
    """`7d`, `36h`, `90m`, `3600s` (or a number of seconds) as a timedelta; anything else is left
    for pydantic to read (ISO 8601 `P7D`) or refuse."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return timedelta(seconds=value)
    if isinstance(value, str) and (found := _DURATION.match(value)):
        return timedelta(seconds=float(found.group(1)) * _UNITS[found.group(2)])
    return value


def format_duration(age: timedelta) -> str:
    """The shortest of `7d`, `36h`, `90m`, `45s` that states `age` exactly."""
    seconds = int(age.total_seconds())
    for unit in "dhm":
        if seconds and seconds % _UNITS[unit] == 0:
            return f"{seconds // _UNITS[unit]}{unit}"
    return f"{seconds}s"


class SubscriptionGroup(BaseModel):
    """A Braze subscription group a consent key opts people into (email or SMS)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    id: Annotated[str, Field(pattern=_UUID, description="The group's id, from Braze's dashboard.")]
    channel: Literal["email", "sms"] = "email"


class DestinationSettings(BaseModel):
    """What a destination does with the changes it sends. Every field has Braze's safe default."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    identity: Identity = Field(
        "email",
        description="How people are named in Braze: by email (default), by an external_id the brand "
        "signs, or by a user alias (label `alias_label`, name = the email).",
    )
    identify_emails: bool = Field(
        False,
        description="With identity external_id: before the first /users/track carrying a person's external id, "
        "call /users/identify so an email-only profile Braze already holds for the address is folded into the "
        "identified one instead of a second profile being made (docs/delivery.md, Identity). Needs the "
        "users.identify permission.",
    )
    alias_label: Annotated[str, Field(min_length=1, max_length=255)] = "zeroparty_email"
    update_existing_only: bool | None = Field(
        None, description="Braze's _update_existing_only; None leaves Braze's default for the identity."
    )
    max_objects: Annotated[int, Field(ge=1, le=75)] = Field(
        75, description="Objects per /users/track request, at most Braze's 75 (lower it to send smaller requests)."
    )
    batch_limits: BatchLimits = Field(
        "combined",
        description="How the company's Braze contract counts `max_objects`: `combined` (attributes, events and "
        "purchases together, never over either contract's limit) or `per_array` (up to `max_objects` of each; "
        "docs/delivery.md, Batching).",
    )
    array_limit: Annotated[int, Field(ge=1, le=MAX_ARRAY_LIMIT)] = Field(
        DEFAULT_ARRAY_LIMIT,
        description="Items Braze keeps in an array attribute: 25, or up to 500 where the company had it raised.",
    )
    dedupe_max_age: timedelta = Field(
        DEFAULT_DEDUPE_MAX_AGE,
        description="How long the record of what Braze holds is trusted: a value recorded longer ago is sent "
        "again, so a profile changed in Braze meanwhile is refilled (`7d`, `36h`, `90m`; `0s` always sends).",
    )
    monthly_data_point_budget: Annotated[int, Field(ge=1)] | None = Field(
        None, description="Data points this destination may spend per calendar month (UTC); None: no budget."
    )
    over_budget: OverBudget = Field(
        "send",
        description="Past the budget: `send` (only warn) or `hold` (keep new updates pending until the month "
        "turns or the budget is raised).",
    )
    requests_per_second: Annotated[float, Field(gt=0, le=1000)] = Field(
        100.0,
        description="This destination's share of the workspace's /users/track budget (3,000 per 3 s, shared by "
        "every API client of the workspace).",
    )
    max_in_flight: Annotated[int, Field(ge=1, le=64)] = 8
    renames: dict[str, str] = Field(default_factory=dict, description="Attribute ID → the name sent to Braze.")
    exclude: frozenset[str] = Field(default_factory=frozenset, description="Attribute IDs never sent.")
    subscription_groups: dict[str, SubscriptionGroup] = Field(
        default_factory=dict, description="Consent key → the subscription group it opts into."
    )
    completion_event: str | None = Field(
        None, description="Name of a custom event sent once per completed response; None sends none."
    )

    @model_validator(mode="before")
    @classmethod
    def _older_names(cls, data: Any) -> Any:
        # Stored settings from before `batch_limits` said `legacy_per_array: true`.
        if isinstance(data, dict) and "legacy_per_array" in data:
            data = dict(data)
            per_array = data.pop("legacy_per_array")
            if per_array is True and "batch_limits" not in data:
                data["batch_limits"] = "per_array"
        return data

    @field_validator("dedupe_max_age", mode="before")
    @classmethod
    def _read_age(cls, value: Any) -> Any:
        return parse_duration(value)

    @field_validator("dedupe_max_age")
    @classmethod
    def _age_range(cls, age: timedelta) -> timedelta:
        if age < timedelta(0) or age > timedelta(days=3650):
            raise ValueError("an age from 0s to 3650d, e.g. 7d, 36h or 90m")
        return age

    @field_serializer("dedupe_max_age")
    def _write_age(self, age: timedelta) -> str:
        return format_duration(age)

    @field_validator("renames")
    @classmethod
    def _valid_renames(cls, renames: dict[str, str]) -> dict[str, str]:
        for source, target in renames.items():
            problem = attribute_name_problem(target)
            if problem:
                raise ValueError(f"renames.{source}: {problem}")
        targets = list(renames.values())
        dup = sorted({t for t in targets if targets.count(t) > 1})
        if dup:
            raise ValueError(f"renames: several attributes would be sent as {dup[0]!r}")
        return renames

    @field_validator("completion_event")
    @classmethod
    def _valid_event(cls, name: str | None) -> str | None:
        if name is not None and not _EVENT_NAME.match(name):
            raise ValueError("an event name is 1 to 255 characters, without control characters, not starting with '$'")
        return name

    @model_validator(mode="after")
    def _renames_not_excluded(self) -> DestinationSettings:
        both = sorted(set(self.renames) & self.exclude)
        if both:
            raise ValueError(f"'{both[0]}' is both renamed and excluded")
        return self


def braze_attributes(attributes: dict[str, Any], settings: DestinationSettings) -> dict[str, Any]:
    """Attribute IDs to the names this destination sends, excluded ones dropped (pure renaming:
    values and Braze's own fields pass through)."""
    return {settings.renames.get(k, k): v for k, v in attributes.items() if k not in settings.exclude}
