"""What settling does to outbox rows, decided once for every outbox (SQL and in memory): which rows
leave their lease in which state, what each row keeps as its error and what the attempt log says.

A plan (`domain/settle.py`) becomes marks in the order they are applied; a lease that ran out
becomes marks too: its outcome is unknown, so rows with budget left go again and the others end
dead (docs/delivery.md, "Guarantees").
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from zeroparty.domain.retry import RetryPolicy
from zeroparty.domain.settle import SettlePlan

LEASE_EXPIRED = "lease expired"
LEASE_EXPIRED_DETAIL = "lease expired: outcome unknown"
HANDED_BACK = "handed back"
HANDED_BACK_UNSENT = "handed back unsent"

RowStateName = Literal["pending", "in_flight", "delivered", "dead"]
Outcome = Literal["delivered", "dead", "retry", "released"]


@dataclass(frozen=True)
class RowMark:
    """Rows leaving one lease together: their new state, the outcome logged for each, the error
    kept on them (`detail`, when set, is logged instead) and whether their attempt is given back.
    Only rows still leased by the settling owner change; every row named is logged."""

    ids: tuple[str, ...]
    state: RowStateName
    outcome: Outcome
    error: str | None
    detail: str | None = None
    refund: bool = False

    @property
    def logged(self) -> str | None:
        return self.detail if self.detail is not None else self.error


def row_marks(plan: SettlePlan) -> list[RowMark]:
    """What `plan` does to rows, in the order the outbox applies it."""
    marks = [RowMark(tuple(i for i in plan.delivered if i not in plan.notes), "delivered", "delivered", None)]
    marks += [RowMark((i,), "delivered", "delivered", note) for i, note in plan.notes.items() if i in plan.delivered]
    marks += [RowMark(tuple(ids), "dead", "dead", reason) for ids, reason in plan.dead]
    marks += [RowMark(r.item_ids, "pending", "retry", r.reason) for r in plan.retry]
    released = plan.pause.reason if plan.pause else HANDED_BACK
    marks += [RowMark(tuple(ids), "pending", "released", released, refund=True) for _user, ids in plan.release]
    return [m for m in marks if m.ids]


def handed_back(ids: Sequence[str]) -> RowMark:
    """Rows handed back unsent (the worker stops, or the destination paused): no attempt used."""
    return RowMark(tuple(ids), "pending", "released", HANDED_BACK_UNSENT, refund=True)


@dataclass(frozen=True)
class LeasedRow:
    id: str
    attempts: int
    created_at: datetime


def expired_marks(rows: Sequence[LeasedRow], policy: RetryPolicy, now: datetime) -> list[RowMark]:
    """One user's rows left in flight by a worker whose lease ran out: rows whose retry budget is
    spent end dead, the rest go back to pending (the settle window and a full resend follow)."""
    spent = [r for r in rows if policy.exhausted(r.attempts, r.created_at, now)]
    gone = {r.id for r in spent}
    again = tuple(r.id for r in rows if r.id not in gone)
    marks: list[RowMark] = []
    if spent:
        since = min(r.created_at for r in spent)
        reason = (
            f"lease expired and the retry budget is spent "
            f"({max(r.attempts for r in rows)} attempts since {since:%Y-%m-%d %H:%M} UTC)"
        )
        marks.append(RowMark(tuple(r.id for r in spent), "dead", "dead", reason))
    if again:
        marks.append(RowMark(again, "pending", "retry", LEASE_EXPIRED, detail=LEASE_EXPIRED_DETAIL))
    return marks
