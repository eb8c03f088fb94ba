from __future__ import annotations

from datetime import UTC, datetime

from zeroparty.sandbox.rules import data_points
from zeroparty.sandbox.rules.export_object import ProfileRecord, Tally, export_user, fields_to_export_problem, full_view

T = datetime(2021, 6, 28, 17, 2, 43, 32000, tzinfo=UTC)


def test_data_point_rules() -> None:
    assert data_points.standard_field("first_name") == 1 and data_points.standard_field("email_subscribe") == 0
    assert data_points.custom_value("x") == 1 and data_points.custom_value(None) == 1
    assert data_points.custom_value({"a": 1, "b": {"c": 1}}) == 2
    assert data_points.custom_value([{"a": 1}, {"a": 2, "b": 3}]) == 3
    assert data_points.array_update(0) == 1 and data_points.array_update(4) == 4
    assert data_points.object_array_update([{"a": 1}], [{"b": 1, "c": 1}], 2) == 5
    assert data_points.event() == 1 and data_points.purchase(3, {"a": 1}) == 6 and data_points.purchase(1, None) == 1


RECORD = ProfileRecord(
    braze_id="5fbd99bac125ca40511f2cb1", external_id="A8i3mkd99", created_at=T, updated_at=T,
    fields={"first_name": "Jane", "email": "jane@x.co", "current_location": {"longitude": 1.5, "latitude": 2.5},
            "subscription_groups": [{"subscription_group_id": "g", "subscription_state": "subscribed"}]},
    custom={"loyalty": 107}, aliases=[("user_123", "amplitude_id")],
    events=[Tally("Loyalty", T, T, 1)], purchases=[], data_points=4,
)  # fmt: skip


def test_export_user() -> None:
    user = export_user(RECORD)
    assert user["created_at"] == "2021-06-28 17:02:43.032 UTC"
    assert user["user_aliases"] == [{"alias_name": "user_123", "alias_label": "amplitude_id"}]
    assert user["last_coordinates"] == [1.5, 2.5] and "subscription_groups" not in user and "data_points" not in user
    assert user["custom_events"] == [
        {"name": "Loyalty", "first": "2021-06-28T17:02:43.032Z", "last": "2021-06-28T17:02:43.032Z", "count": 1}
    ]
    assert export_user(RECORD, ["email", "custom_attributes"]) == {
        "email": "jane@x.co",
        "custom_attributes": {"loyalty": 107},
    }
    assert export_user(RECORD)["random_bucket"] == export_user(RECORD)["random_bucket"]  # stable per user


def test_full_view_adds_what_braze_does_not_export() -> None:
    view = full_view(RECORD)
    assert view["subscription_groups"][0]["subscription_state"] == "subscribed" and view["data_points"] == 4
    assert view["current_location"] == {"longitude": 1.5, "latitude": 2.5}


def test_fields_to_export_problem() -> None:
    assert fields_to_export_problem(None) is None and fields_to_export_problem(["email", "purchases"]) is None
    assert fields_to_export_problem(["email", "nope", "bad"]) == "Invalid fields_to_export: bad, nope"
    assert fields_to_export_problem("email") == "'fields_to_export' must be an array of strings"
