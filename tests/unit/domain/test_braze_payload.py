from __future__ import annotations

import math

from zeroparty.domain.braze_payload import BrazeLimits, Change, coalesce, encoded_size, plan_batches


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
