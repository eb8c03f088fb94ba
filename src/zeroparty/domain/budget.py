"""A destination's monthly data-point budget: how much of it a calendar month (UTC) has used, when
to warn, and when to hold new updates back. Pure.

Braze bills data points per contract period; a brand sets `monthly_data_point_budget` so a surge
of responses cannot spend a quarter's allowance in a week. At 80 % and at 100 % of it a warning is
logged and shown by `zeroparty deliveries`. Past it, `over_budget: send` (the default) only warns;
`hold` keeps new updates pending, nothing dropped: they go when the month turns or the budget is
raised. Points are counted when Braze's answer is settled, so a worker may go past the budget by
at most the requests it had in flight when it was reached.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from zeroparty.domain.destination_settings import DestinationSettings

WARN_AT = 0.8
Level = Literal["none", "ok", "near", "over"]


def month_of(moment: datetime) -> str:
    """The calendar month (UTC) points are counted in: `2026-12`."""
    return moment.astimezone(UTC).strftime("%Y-%m")


@dataclass(frozen=True)
class BudgetState:
    used: int  # data points sent this month
    budget: int | None
    hold: bool  # over budget with over_budget: hold

    @property
    def level(self) -> Level:
        if self.budget is None:
            return "none"
        if self.used >= self.budget:
            return "over"
        return "near" if self.used >= WARN_AT * self.budget else "ok"

    @property
    def holding(self) -> bool:
        """New updates stay pending."""
        return self.hold and self.level == "over"

    def warning(self, name: str) -> str | None:
        """What to log and show at 80 % and 100 %; None below."""
        if self.budget is None or self.level in ("none", "ok"):
            return None
        share = f"{self.used:,} of {self.budget:,} data points this month ({100 * self.used // self.budget} %)"
        if self.level == "near":
            return f"destination {name!r} has used {share}"
        then = "new updates are held until the month turns or the budget is raised" if self.hold else "still sending"
        return f"destination {name!r} is over its budget: {share}; {then}"


def budget_state(settings: DestinationSettings, used: int) -> BudgetState:
    return BudgetState(used, settings.monthly_data_point_budget, settings.over_budget == "hold")
