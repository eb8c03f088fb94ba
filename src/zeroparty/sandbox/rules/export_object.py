"""Braze's user export object (https://www.braze.com/docs/api/endpoints/export/user_data/post_users_identifier):
standard profile fields at the top level, custom attributes under `custom_attributes`, events and
purchases as {name, first, last, count}; `fields_to_export` narrows it to the named fields.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from zeroparty.sandbox.rules.times import iso

EXPORT_FIELDS = frozenset(
    {
        "apps", "attributed_campaign", "attributed_source", "attributed_adgroup", "attributed_ad", "braze_id",
        "campaigns_received", "canvases_received", "cards_clicked", "country", "created_at", "custom_attributes",
        "custom_events", "devices", "dob", "email", "email_subscribe", "external_id", "first_name", "gender",
        "home_city", "language", "last_coordinates", "last_name", "phone", "purchases", "push_subscribe",
        "push_tokens", "random_bucket", "time_zone", "total_revenue", "uninstalled_at", "user_aliases",
    }
)  # fmt: skip
_TOP_LEVEL = (
    "first_name", "last_name", "email", "dob", "home_city", "country", "phone", "language", "time_zone", "gender",
    "push_subscribe", "email_subscribe",
)  # fmt: skip


@dataclass(frozen=True)
class Tally:
    """A custom event or a product: how often, first and last time."""

    name: str
    first: datetime
    last: datetime
    count: int

    def view(self) -> dict[str, Any]:
        return {"name": self.name, "first": iso(self.first), "last": iso(self.last), "count": self.count}


@dataclass(frozen=True)
class ProfileRecord:
    braze_id: str
    external_id: str | None
    created_at: datetime
    updated_at: datetime
    fields: dict[str, Any]
    custom: dict[str, Any]
    aliases: list[tuple[str, str]]
    events: list[Tally]
    purchases: list[Tally]
    data_points: int


def fields_to_export_problem(value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(f, str) for f in value):
        return "'fields_to_export' must be an array of strings"
    unknown = sorted(set(value) - EXPORT_FIELDS)
    return f"Invalid fields_to_export: {', '.join(unknown)}" if unknown else None


def export_user(rec: ProfileRecord, only: list[str] | None = None) -> dict[str, Any]:
    user: dict[str, Any] = {"created_at": rec.created_at.strftime("%Y-%m-%d %H:%M:%S.") + _millis(rec.created_at)}
    if rec.external_id is not None:
        user["external_id"] = rec.external_id
    user["user_aliases"] = [{"alias_name": n, "alias_label": label} for n, label in rec.aliases]
    user["braze_id"] = rec.braze_id
    user["random_bucket"] = int(hashlib.sha256(rec.braze_id.encode()).hexdigest(), 16) % 10_000
    user.update({k: rec.fields[k] for k in _TOP_LEVEL if rec.fields.get(k) is not None})
    location = rec.fields.get("current_location")
    if isinstance(location, dict):
        user["last_coordinates"] = [location["longitude"], location["latitude"]]
    user["custom_attributes"] = rec.custom
    user["custom_events"] = [t.view() for t in rec.events]
    user["purchases"] = [t.view() for t in rec.purchases]
    if rec.fields.get("push_tokens"):
        user["push_tokens"] = [
            {
                "app": t.get("app_id"),
                "token": t.get("token"),
                **({"device_id": t["device_id"]} if "device_id" in t else {}),
            }
            for t in rec.fields["push_tokens"]
        ]
    if only is not None:
        user = {k: v for k, v in user.items() if k in only}
    return user


def full_view(rec: ProfileRecord) -> dict[str, Any]:
    """Everything the sandbox holds for a profile, for the control API and the profile browser:
    the export object plus the fields Braze does not export (subscription groups, tracking flags…)."""
    view = export_user(rec)
    view.update({k: v for k, v in rec.fields.items() if k not in view})
    view["updated_at"] = iso(rec.updated_at)
    view["data_points"] = rec.data_points
    return view


def _millis(moment: datetime) -> str:
    return f"{moment.microsecond // 1000:03d} UTC"
