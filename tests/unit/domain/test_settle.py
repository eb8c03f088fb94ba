"""The settle decision for each kind of answer (pure: no database, no HTTP)."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

from zeroparty.domain.answer_table import plan_settle
from zeroparty.domain.braze_payload import Batch, Change, UserChanges, coalesce, render
from zeroparty.domain.classify import (
    Accepted,
    AuthFailed,
    ObjectsRejected,
    RateLimited,
    Rejected,
    Transient,
    WrongEndpoint,
)
from zeroparty.domain.destination_settings import DestinationSettings
from zeroparty.domain.retry import RetryPolicy
from zeroparty.domain.settle import Broken, NotSent, RowState, SettleContext, Unknown

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
SETTINGS = DestinationSettings()


def batch(*users: list[tuple[str, dict[str, Any]]]) -> Batch:
    changes = [Change(item, f"u{n}", attrs) for n, rows in enumerate(users) for item, attrs in rows]
    return Batch(tuple(render(u, SETTINGS, {}) for u in coalesce(changes)))


def ctx(attempts: int = 1, age: timedelta = timedelta(0), **kw: Any) -> SettleContext:
    rows = {f"r{i}": RowState(attempts, NOW - age) for i in range(10)}
    return SettleContext(rows, RetryPolicy(), NOW, timedelta(seconds=30), random.Random(1), **kw)


def test_accepted_delivers_and_records_what_braze_now_holds() -> None:
    plan = plan_settle(batch([("r0", {"skin": "dry"})], [("r1", {"skin": "oily"})]), Accepted({}), ctx())
    assert plan.delivered == ("r0", "r1") and plan.health == "ok"
    assert plan.accepted == {"u0": {"skin": "dry"}, "u1": {"skin": "oily"}}
    assert plan.points_sent == 2


def test_a_refused_field_is_stripped_and_the_rest_resent_before_anything_is_dead() -> None:
    b = batch([("r0", {"skin": "dry"}), ("r1", {"gender": "female"}), ("r2", {"goal": "calm", "gender": "x"})])
    plan = plan_settle(b, Accepted({("attributes", 0): "'gender' is not valid"}), ctx())
    [again] = plan.resend
    assert again.strips == 1 and again.user.attributes == {"skin": "dry", "goal": "calm"}
    assert plan.dead == ((("r1",), "Braze rejected this profile update: 'gender' is not valid"),)
    assert "'gender'" in plan.notes["r2"] and plan.delivered == ()


def test_without_a_named_field_the_rows_are_tried_one_by_one_and_only_a_lone_refusal_is_dead() -> None:
    b = batch([("r0", {"skin": "dry"}), ("r1", {"goal": "calm"})])
    plan = plan_settle(b, Accepted({("attributes", 0): "invalid object"}), ctx())
    assert [(r.alone, r.user.item_ids) for r in plan.resend] == [(True, ("r0",)), (True, ("r1",))]
    alone = Batch((render(UserChanges("u0", (Change("r1", "u0", {"goal": "calm"}),)), SETTINGS, {}),))
    final = plan_settle(alone, Accepted({("attributes", 0): "invalid object"}), ctx(alone=frozenset({"u0"})))
    assert final.dead == ((("r1",), "Braze rejected this profile update: invalid object"),) and not final.resend


def test_a_400_naming_objects_resends_the_valid_ones() -> None:
    b = batch([("r0", {"x": 1})], [("r1", {"gender": "bad"})], [("r2", {"x": 2})])
    plan = plan_settle(b, ObjectsRejected({("attributes", 1): "'gender' is not valid"}, "HTTP 400"), ctx())
    assert sorted(r.user.user_key for r in plan.resend) == ["u0", "u2"]
    assert plan.dead == ((("r1",), "Braze rejected this profile update: 'gender' is not valid"),)


def test_a_400_without_detail_is_split_and_one_object_alone_is_dead() -> None:
    b = batch([("r0", {"x": 1})], [("r1", {"x": 2})], [("r2", {"x": 3})])
    plan = plan_settle(b, Rejected("HTTP 400", splittable=True), ctx())
    assert [[r.user.user_key for r in half] for half in plan.resend_batches] == [["u0"], ["u1", "u2"]]
    single = plan_settle(batch([("r0", {"x": 1})]), Rejected("HTTP 400", splittable=False), ctx())
    assert single.dead == ((("r0",), "Braze rejected the request: HTTP 400"),)


def test_key_problems_and_a_wrong_endpoint_pause_and_hand_everything_back() -> None:
    for verdict in (AuthFailed("HTTP 401"), WrongEndpoint("HTTP 404: Not Found")):
        plan = plan_settle(batch([("r0", {"x": 1})]), verdict, ctx())
        assert plan.pause is not None and plan.pause.until is None
        assert plan.release == (("u0", ("r0",)),) and not plan.dead
    assert "REST endpoint" in plan_settle(batch([("r0", {})]), WrongEndpoint("HTTP 404"), ctx()).pause.reason  # type: ignore[union-attr]


def test_rate_limits_pause_until_the_reset_without_using_an_attempt() -> None:
    plan = plan_settle(batch([("r0", {"x": 1})]), RateLimited(2.5, "HTTP 429"), ctx())
    assert plan.pause is not None and plan.pause.until == NOW + timedelta(seconds=2.5)
    assert plan.release == (("u0", ("r0",)),)


def test_server_errors_back_off_and_dead_letter_only_when_attempts_and_window_are_spent() -> None:
    plan = plan_settle(batch([("r0", {"x": 1})]), Transient("HTTP 503"), ctx(attempts=3))
    [retry] = plan.retry
    assert NOW <= retry.at <= NOW + timedelta(seconds=4) and not retry.full and plan.health == "failed"
    spent = plan_settle(batch([("r0", {"x": 1})]), Transient("HTTP 503"), ctx(attempts=8, age=timedelta(hours=4)))
    assert spent.dead == ((("r0",), "retries exhausted: HTTP 503"),) and not spent.retry


def test_an_unknown_outcome_waits_out_the_settle_window_and_forgets_what_it_carried() -> None:
    plan = plan_settle(batch([("r0", {"x": 1})]), Unknown("timed out"), ctx())
    [retry] = plan.retry
    assert not retry.full and retry.at >= NOW + timedelta(seconds=30)
    assert plan.doubt == {"u0": ("x",)} and plan.accepted == {}


def test_an_unexpected_error_is_pinned_by_splitting_then_retried_alone() -> None:
    plan = plan_settle(batch([("r0", {"x": 1})], [("r1", {"x": 2})]), Broken("bug"), ctx())
    assert len(plan.resend_batches) == 2
    alone = plan_settle(batch([("r0", {"x": 1})]), Broken("bug"), ctx())
    assert alone.retry and alone.health == "neutral"


def test_rows_sent_one_by_one_in_one_batch_are_settled_each_on_its_own() -> None:
    """The resend of a refused user's rows puts each row in its own object, in one batch: Braze's
    refusal of one of them says nothing about the other."""
    rows = [Change("r0", "u0", {"skin": "dry"}), Change("r1", "u0", {"goal": "calm"})]
    alone = Batch(tuple(render(UserChanges("u0", (row,)), SETTINGS, {}) for row in rows))
    plan = plan_settle(alone, Accepted({("attributes", 1): "invalid object"}), ctx(alone=frozenset({"u0"})))
    assert plan.delivered == ("r0",) and plan.accepted == {"u0": {"skin": "dry"}}
    assert plan.dead == ((("r1",), "Braze rejected this profile update: invalid object"),)
    both = plan_settle(alone, Accepted({}), ctx(alone=frozenset({"u0"})))
    assert both.accepted == {"u0": {"skin": "dry", "goal": "calm"}}  # what each object carried, together


EVENTFUL = DestinationSettings(completion_event="quiz_completed")
DONE_R1 = {
    "experience": "quiz",
    "version": 1,
    "outcome": "calm",
    "response_id": "resp-1",
    "time": "2026-03-01T12:00:00Z",
}


def completed(settings: DestinationSettings = EVENTFUL, **attrs: Any) -> Batch:
    [user] = coalesce([Change("r0", "u0", attrs or {"skin": "dry"}, {}, DONE_R1)])
    return Batch((render(user, settings, {}),))


def test_an_event_only_refusal_records_the_applied_attributes_and_dead_letters_naming_the_event() -> None:
    plan = plan_settle(completed(), Accepted({("events", 0): "'time' is not valid"}), ctx())
    assert plan.accepted == {"u0": {"skin": "dry"}} and plan.delivered == ()
    assert plan.dead == ((("r0",), "Braze refused the completion event 'quiz_completed': 'time' is not valid"),)
    assert plan.points_sent == 1 and plan.resend == ()


def test_an_accepted_event_is_recorded_when_the_attributes_beside_it_are_refused() -> None:
    plan = plan_settle(completed(skin="dry", bad="x"), Accepted({("attributes", 0): "'bad' is not valid"}), ctx())
    assert plan.accepted == {"u0": {"$event:resp-1": True}} and plan.points_sent == 1
    [resend] = plan.resend
    assert resend.user.attributes == {"skin": "dry"}  # stripped; its event is left out once learnt


def test_a_request_that_never_reached_braze_is_a_plain_retry_with_nothing_in_doubt() -> None:
    plan = plan_settle(batch([("r0", {"x": 1})]), NotSent("connection refused"), ctx())
    [retry] = plan.retry
    assert not retry.full and retry.at < NOW + timedelta(seconds=30) and plan.doubt == {}
    assert plan.health == "failed"


def test_under_update_existing_only_values_are_not_taken_as_held() -> None:
    settings = DestinationSettings(completion_event="quiz_completed", update_existing_only=True)
    plan = plan_settle(completed(settings), Accepted({}), ctx())
    assert plan.delivered == ("r0",) and plan.accepted == {"u0": {"$event:resp-1": True}}
    [event] = completed(settings).users[0].events
    assert event["_update_existing_only"] is True
