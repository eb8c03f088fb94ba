"""Poison rows and vanished workers, over the whole stack: one object that can never be sent does
not hold up the others, and no row stays in flight once its lease and retry budget are spent.

Capture refuses such values, so the rows are put straight into the outbox, as an older version or
a damaged database would have left them."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from tests.support.stack import Stack
from tests.support.waiting import wait_for
from zeroparty.adapters.db.queue import enqueue_users
from zeroparty.adapters.db.schema import (
    delivery_attempts,
    delivery_queue,
    destinations,
    experience_versions,
    outbox,
    responses,
)
from zeroparty.domain.retry import RetryPolicy

GOOD = {"first_name": "Kim", "skin_type": "dry"}
SURROGATE = "lone \ud83d half"
HUGE = "x" * (110 * 1024)


def new_response(conn: sa.Connection, email: str, now: datetime) -> str:
    version_id = conn.execute(sa.select(sa.func.min(experience_versions.c.id))).scalar_one()
    response_id = str(uuid.uuid4())
    conn.execute(
        sa.insert(responses).values(
            id=response_id,
            experience_version_id=version_id,
            channel="api",
            email=email,
            created_at=now,
            updated_at=now,
            completed_at=now,
        )
    )
    return response_id


def outbox_row(dest_id: int, response_id: str, email: str, attributes: dict[str, Any], **state: Any) -> dict[str, Any]:
    now = datetime.now(UTC)
    row: dict[str, Any] = {
        "id": str(uuid.uuid4()),
        "destination_id": dest_id,
        "response_id": response_id,
        "user_key": email,
        "payload": {"attributes": attributes},
        "state": "pending",
        "attempts": 0,
        "available_at": now,
        "created_at": now,
    }
    return {**row, **state}


def inject(engine: sa.Engine, rows: list[tuple[str, dict[str, Any], dict[str, Any]]]) -> None:
    """Queue (email, attributes, column overrides) rows in one transaction, one response each; a
    row injected in flight leaves its user leased by the owner it names, as a vanished worker would."""
    with engine.begin() as conn:
        dest_id = conn.execute(sa.select(destinations.c.id)).scalar_one()
        now = datetime.now(UTC)
        enqueue_users(conn, [dest_id], [email for email, _, _ in rows], now)
        values = [
            outbox_row(dest_id, new_response(conn, email, now), email, attrs, **state) for email, attrs, state in rows
        ]
        conn.execute(sa.insert(outbox), values)
        for email, _, state in rows:
            if state.get("state") == "in_flight":
                conn.execute(
                    sa.update(delivery_queue)
                    .where(delivery_queue.c.user_key == email)
                    .values(
                        state="leased", lease_owner=state["lease_owner"], lease_expires_at=state["lease_expires_at"]
                    )
                )


def by_email(stack: Stack) -> dict[str, Any]:
    with stack.rt.engine.connect() as conn:
        rows = conn.execute(sa.select(outbox)).all()
    return {r.user_key: r for r in rows}


def state_counts(stack: Stack) -> dict[str, int]:
    counts: dict[str, int] = {}
    for row in by_email(stack).values():
        counts[row.state] = counts.get(row.state, 0) + 1
    return counts


def attempts_of(stack: Stack, outbox_id: str) -> list[tuple[str, str | None]]:
    with stack.rt.engine.connect() as conn:
        rows = conn.execute(
            sa.select(delivery_attempts.c.outcome, delivery_attempts.c.detail)
            .where(delivery_attempts.c.outbox_id == outbox_id)
            .order_by(delivery_attempts.c.id)
        ).all()
    return [(r.outcome, r.detail) for r in rows]


@pytest.mark.parametrize(
    ("bad", "reason"),
    [
        (
            {"skin_type": SURROGATE},
            "cannot be sent to Braze: attribute 'skin_type' is not valid Unicode text "
            "(it holds a lone surrogate, which UTF-8 cannot encode)",
        ),
        (
            {"skin_type": HUGE},
            "cannot be sent to Braze: the profile update is 112,685 bytes, "
            "over Braze's limit of 102,400 bytes per object",
        ),
    ],
    ids=["lone-surrogate", "over-100KB"],
)
def test_one_poisoned_object_among_a_hundred_good_ones(stack: Stack, bad: dict[str, Any], reason: str) -> None:
    good: list[tuple[str, dict[str, Any], dict[str, Any]]] = [
        (f"good{i:03d}@example.com", GOOD, {}) for i in range(100)
    ]
    # The bad row sits in the middle of the first claim, with good users either side.
    inject(stack.rt.engine, [*good[:40], ("poison@example.com", bad, {}), *good[40:]])
    wait_for(lambda: state_counts(stack), lambda s: s == {"delivered": 100, "dead": 1}, timeout=20, interval=0.1)

    stats = stack.sandbox_stats()
    assert stats["profiles"] == 100
    assert stack.export_by_email("poison@example.com") == []
    for email, _, _ in (good[0], good[39], good[40], good[99]):
        assert stack.export_by_email(email)[0]["custom_attributes"]["skin_type"] == "dry"

    poison = by_email(stack)["poison@example.com"]
    assert poison.state == "dead" and poison.attempts == 1
    assert poison.last_error == reason
    assert attempts_of(stack, poison.id) == [("dead", reason)]


def test_rows_left_in_flight_by_a_vanished_worker_end_dead_or_get_delivered(stack: Stack) -> None:
    now = datetime.now(UTC)
    gone = {"state": "in_flight", "lease_owner": "worker-gone", "lease_expires_at": now - timedelta(minutes=1)}
    policy = RetryPolicy()
    spent = {**gone, "attempts": policy.max_attempts, "created_at": now - policy.window - timedelta(hours=1)}
    many_but_recent = {**gone, "attempts": policy.max_attempts, "created_at": now - timedelta(minutes=10)}
    inject(
        stack.rt.engine,
        [
            ("spent1@example.com", GOOD, spent),
            ("spent2@example.com", GOOD, spent),
            ("recent@example.com", GOOD, many_but_recent),
            ("fresh@example.com", GOOD, {**gone, "attempts": 1}),
        ],
    )
    wait_for(lambda: state_counts(stack), lambda s: s == {"dead": 2, "delivered": 2}, timeout=20, interval=0.1)

    rows = by_email(stack)
    for email in ("spent1@example.com", "spent2@example.com"):
        row = rows[email]
        assert row.attempts == policy.max_attempts and row.lease_owner is None
        assert (row.last_error or "").startswith("lease expired and the retry budget is spent (8 attempts since ")
        [(outcome, detail)] = attempts_of(stack, row.id)
        assert outcome == "dead" and detail == row.last_error
        assert stack.export_by_email(email) == []
    assert rows["recent@example.com"].attempts == policy.max_attempts + 1
    assert rows["fresh@example.com"].attempts == 2
    for email in ("recent@example.com", "fresh@example.com"):
        assert attempts_of(stack, rows[email].id) == [("retry", "lease expired: outcome unknown"), ("delivered", None)]
        assert stack.export_by_email(email)[0]["first_name"] == "Kim"
