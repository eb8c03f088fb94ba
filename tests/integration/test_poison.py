"""A poison row over the whole stack: one object that can never be sent does not hold up the others.
The lone surrogate is the case that needs the real store: it must survive the database's JSON on
its way to the engine. Capture refuses such values, so the row is put straight into the outbox, as
an older version or a damaged database would have left it. Every other kind of poison, and rows a
vanished worker left in flight, are unit tests on fake time (tests/unit/delivery/)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
import sqlalchemy as sa

from tests.support.stack import Stack
from tests.support.waiting import wait_for
from zeroparty.adapters.db.outbox_sql.queue import enqueue_users
from zeroparty.adapters.db.schema import (
    delivery_attempts,
    destinations,
    experience_versions,
    outbox,
    responses,
)

GOOD = {"first_name": "Kim", "skin_type": "dry"}
SURROGATE = "lone \ud83d half"


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
    """Queue (email, attributes, column overrides) rows in one transaction, one response each."""
    with engine.begin() as conn:
        dest_id = conn.execute(sa.select(destinations.c.id)).scalar_one()
        now = datetime.now(UTC)
        enqueue_users(conn, [dest_id], [email for email, _, _ in rows], now)
        values = [
            outbox_row(dest_id, new_response(conn, email, now), email, attrs, **state) for email, attrs, state in rows
        ]
        conn.execute(sa.insert(outbox), values)


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
    ],
    ids=["lone-surrogate"],
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
