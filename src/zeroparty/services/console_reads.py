"""What the console's pages show that no workflow service already answers: a workspace at a glance.
The composition root hands the console a store satisfying `WorkspaceOverview`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


@dataclass(frozen=True)
class WorkspaceSummary:
    experiences_live: int  # published and taking responses
    experiences_other: int  # drafts, closed or unpublished
    responses_total: int
    responses_day: int  # started in the 24 hours before `now`
    completed_day: int
    destinations: int
    destinations_paused: int
    pending: int  # outbox items waiting or in flight, over the workspace's destinations
    dead: int


class WorkspaceOverview(Protocol):
    def summary(self, workspace_id: int, now: datetime) -> WorkspaceSummary: ...
