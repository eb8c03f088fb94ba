"""Rendering users for a destination and batching them within Braze's limits (pure)."""

from __future__ import annotations

from typing import Any

import pytest

from zeroparty.domain.braze_payload import (
    Batch,
    BrazeLimits,
    Change,
    NotSendable,
    Rendered,
    coalesce,
    plan_delivery,
    render,
)
from zeroparty.domain.destination_settings import DestinationSettings, SubscriptionGroup

DEFAULT = DestinationSettings()
GROUP = "9b1f3c1e-6f0e-4a53-9d1a-2b7c8e1d0f55"
DONE = {"experience": "quiz", "version": 2, "outcome": "calm", "response_id": "r1", "time": "2026-01-01T00:00:00Z"}


def user(*rows: dict[str, Any], key: str = "a@x.co") -> Any:
    [u] = coalesce(Change(f"i{n}", key, attrs) for n, attrs in enumerate(rows))
    return u


def test_coalesce_keeps_each_users_rows_in_order_and_later_values_win() -> None:
    changes = [Change("1", "a", {"x": 1, "y": 1}), Change("2", "b", {"x": 9}), Change("3", "a", {"x": 2})]
    a, b = coalesce(changes)
    assert (a.user_key, a.item_ids, a.attributes) == ("a", ("1", "3"), {"x": 2, "y": 1})
    assert (b.user_key, b.item_ids) == ("b", ("2",))


def test_only_values_braze_does_not_hold_are_sent_and_the_rest_is_counted_as_saved() -> None:
    r = render(user({"skin": "dry", "goal": "calm", "email_subscribe": "opted_in"}), DEFAULT, {"skin": "dry"})
    assert r.attributes == {"email": "a@x.co", "goal": "calm", "email_subscribe": "opted_in"}
    assert (r.points_sent, r.points_saved) == (1, 1)  # the subscription state costs no data point
    same = render(user({"skin": "dry"}), DEFAULT, {"skin": "dry"})
    assert same.attributes is None and same.objects == 0 and same.points_saved == 1


def test_after_an_unknown_outcome_everything_current_goes_again() -> None:
    r = render(user({"skin": "dry"}), DEFAULT, {"skin": "dry"}, full=True)
    assert r.attributes == {"email": "a@x.co", "skin": "dry"}


def test_renames_exclusions_alias_identity_groups_and_the_completion_event() -> None:
    settings = DestinationSettings(
        identity="user_alias",
        renames={"skin": "skin_type"},
        exclude=frozenset({"secret"}),
        subscription_groups={"news": SubscriptionGroup(id=GROUP)},
        completion_event="quiz_completed",
    )
    [u] = coalesce(
        [Change("1", "a@x.co", {"skin": "dry", "secret": 1}, {"news": "subscribed", "unknown": "subscribed"}, DONE)]
    )
    r = render(u, settings, {})
    assert r.attributes == {
        "user_alias": {"alias_name": "a@x.co", "alias_label": "zeroparty_email"},
        "_update_existing_only": False,
        "skin_type": "dry",
        "email": "a@x.co",
        "subscription_groups": [{"subscription_group_id": GROUP, "subscription_state": "subscribed"}],
    }
    assert r.events == (
        {
            "user_alias": {"alias_name": "a@x.co", "alias_label": "zeroparty_email"},
            "name": "quiz_completed",
            "time": DONE["time"],
            "properties": {"experience": "quiz", "version": 2, "outcome": "calm", "response_id": "r1"},
        },
    )
    assert r.objects == 2
    again = render(u, settings, {**r.sent, **dict.fromkeys(r.event_marks, True)})
    # A second time: only the subscription state (free, and never left out: the person may have
    # unsubscribed in Braze since); the accepted event is never sent again.
    assert again.attributes == {
        "user_alias": {"alias_name": "a@x.co", "alias_label": "zeroparty_email"},
        "_update_existing_only": False,
        "subscription_groups": [{"subscription_group_id": GROUP, "subscription_state": "subscribed"}],
    }
    assert (again.events, again.points_sent, again.points_saved) == ((), 0, 2)


def test_external_id_identity_needs_an_external_id() -> None:
    with pytest.raises(NotSendable, match="external id"):
        render(user({"x": 1}), DestinationSettings(identity="external_id"), {})


def rendered(n: int, **attrs: Any) -> list[Rendered]:
    return [render(user({"x": 1, **attrs}, key=f"u{i}@x.co"), DEFAULT, {}) for i in range(n)]


def test_batches_hold_at_most_the_object_limit_combined() -> None:
    plan = plan_delivery(rendered(160), BrazeLimits())
    assert [len(b.users) for b in plan.batches] == [75, 75, 10]
    assert [len(b.users) for b in plan_delivery(rendered(120), BrazeLimits(max_objects=50)).batches] == [50, 50, 20]


def test_events_count_towards_the_limit_unless_the_contract_counts_per_array() -> None:
    settings = DestinationSettings(completion_event="done")
    users = [render(coalesce([Change(str(i), f"u{i}", {"x": 1}, {}, DONE)])[0], settings, {}) for i in range(75)]
    assert [len(b.users) for b in plan_delivery(users, BrazeLimits()).batches] == [37, 37, 1]
    assert [len(b.users) for b in plan_delivery(users, BrazeLimits(per_array=True)).batches] == [75]


def test_objects_that_can_never_be_sent_are_set_aside_naming_the_field_never_the_value() -> None:
    good = rendered(2)
    bad = render(user({"bio": "lone \ud800"}, key="bad@x.co"), DEFAULT, {})
    huge = render(user({"bio": "y" * (110 * 1024)}, key="huge@x.co"), DEFAULT, {})
    plan = plan_delivery([good[0], bad, huge, good[1]])
    assert [u.user.user_key for b in plan.batches for u in b.users] == ["u0@x.co", "u1@x.co"]
    reasons = {u.user.user.user_key: u.reason for u in plan.unsendable}
    assert "attribute 'bio' is not valid Unicode text" in reasons["bad@x.co"] and "\ud800" not in reasons["bad@x.co"]
    assert "over Braze's limit of 102,400 bytes per object" in reasons["huge@x.co"]


def test_an_errors_entry_points_at_its_user_and_object() -> None:
    settings = DestinationSettings(completion_event="done")
    a = render(coalesce([Change("1", "a", {"x": 1})])[0], settings, {})
    b = render(coalesce([Change("2", "b", {}, {}, DONE)])[0], settings, {})  # an event, no attributes
    c = render(coalesce([Change("3", "c", {"x": 1}, {}, DONE)])[0], settings, {})
    batch = Batch((a, b, c))
    assert [len(batch.body()["attributes"]), len(batch.body()["events"])] == [2, 2]
    assert batch.locate(("attributes", 1)) == (2, None) and batch.locate(("events", 0)) == (1, 0)
    assert batch.locate(("events", 1)) == (2, 0)
    assert batch.locate(("events", 5)) is None and batch.locate(("purchases", 0)) is None


def test_two_consent_keys_on_one_group_send_one_state_the_later() -> None:
    settings = DestinationSettings(
        subscription_groups={"news": SubscriptionGroup(id=GROUP), "tips": SubscriptionGroup(id=GROUP)}
    )
    [u] = coalesce([Change("1", "a@x.co", {}, {"news": "subscribed", "tips": "unsubscribed"})])
    r = render(u, settings, {})
    assert r.attributes == {
        "email": "a@x.co",
        "subscription_groups": [{"subscription_group_id": GROUP, "subscription_state": "unsubscribed"}],
    }
    assert (r.points_sent, r.points_saved) == (0, 0)
