from __future__ import annotations

import math
from typing import Any

import pytest

from zeroparty.domain.braze_payload import (
    BrazeLimits,
    Change,
    UserObject,
    coalesce,
    encoded_size,
    plan_batches,
    plan_delivery,
)


def test_coalesce_merges_per_user_later_wins_in_first_seen_order() -> None:
    objs = coalesce(
        [
            Change("1", "a@x.co", {"k": 1, "j": 1}),
            Change("2", "b@x.co", {"k": 5}),
            Change("3", "a@x.co", {"k": 2}),
        ]
    )
    assert [(o.email, o.attributes, o.item_ids) for o in objs] == [
        ("a@x.co", {"k": 2, "j": 1}, ("1", "3")),
        ("b@x.co", {"k": 5}, ("2",)),
    ]
    assert objs[0].to_braze() == {"email": "a@x.co", "k": 2, "j": 1}


def test_batches_hold_at_most_75_objects() -> None:
    objs = coalesce(Change(str(i), f"u{i}@x.co", {"n": i}) for i in range(1000))
    batches = plan_batches(objs)
    assert len(batches) == math.ceil(1000 / 75)
    assert all(len(b.objects) <= 75 for b in batches)
    assert sum(len(b.objects) for b in batches) == 1000


def test_batches_respect_the_byte_limit() -> None:
    objs = coalesce(Change(str(i), f"u{i}@x.co", {"blob": "x" * 200}) for i in range(50))
    limits = BrazeLimits(max_request_bytes=2000)
    batches = plan_batches(objs, limits)
    assert len(batches) > 1
    assert all(encoded_size(b.body()) <= 2000 for b in batches)


def obj(email: str, **attributes: Any) -> UserObject:
    return UserObject(email, attributes, (email,))


@pytest.mark.parametrize(
    ("bad", "reason"),
    [
        (
            obj("b@x.co", bio="pair \udc00 half"),
            "cannot be sent to Braze: attribute 'bio' is not valid Unicode text "
            "(it holds a lone surrogate, which UTF-8 cannot encode)",
        ),
        (
            obj("b\ud800@x.co", n=1),
            "cannot be sent to Braze: the email address is not valid Unicode text "
            "(it holds a lone surrogate, which UTF-8 cannot encode)",
        ),
        (
            UserObject("b@x.co", {"na\ud800me": 1}, ("b@x.co",)),
            "cannot be sent to Braze: an attribute name is not valid Unicode text "
            "(it holds a lone surrogate, which UTF-8 cannot encode)",
        ),
        (
            obj("b@x.co", score=float("nan")),
            "cannot be sent to Braze: attribute 'score' holds a number JSON cannot carry (NaN or infinity)",
        ),
        (
            obj("b@x.co", when=object()),
            "cannot be sent to Braze: attribute 'when' holds a value JSON cannot carry (TypeError)",
        ),
        (
            obj("b@x.co", blob="x" * 200_000),
            "cannot be sent to Braze: the profile update is 200,028 bytes, over Braze's limit of 102,400 bytes per object",
        ),
    ],
)
def test_objects_that_can_never_be_sent_are_set_aside_with_a_reason(bad: UserObject, reason: str) -> None:
    plan = plan_delivery([obj("a@x.co", n=1), bad, obj("c@x.co", n=3)])
    assert [[o.email for o in b.objects] for b in plan.batches] == [["a@x.co", "c@x.co"]]
    assert [(u.obj, u.reason) for u in plan.unsendable] == [(bad, reason)]


def test_an_object_exactly_at_the_limit_is_sent() -> None:
    at_limit = obj("a@x.co", blob="x" * (100 * 1024 - len('{"email":"a@x.co","blob":""}')))
    assert encoded_size(at_limit.to_braze()) == 100 * 1024
    plan = plan_delivery([at_limit])
    assert plan.unsendable == () and len(plan.batches) == 1


def test_plan_delivery_batches_like_plan_batches() -> None:
    objs = coalesce(Change(str(i), f"u{i}@x.co", {"blob": "x" * 200}) for i in range(200))
    limits = BrazeLimits(max_request_bytes=5000)
    assert list(plan_delivery(objs, limits).batches) == plan_batches(objs, limits)
