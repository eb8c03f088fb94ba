"""The console's overview of a workspace (services/console_reads.py), in a few aggregate queries."""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from zeroparty.adapters.db.engine import reader
from zeroparty.adapters.db.outbox_sql import reads
from zeroparty.adapters.db.schema import destinations, experience_versions, experiences, responses
from zeroparty.services.console_reads import WorkspaceSummary

_WS: sa.BindParameter[int] = sa.bindparam("ws")
EXPERIENCES_BY_STATE = (
    sa.select(experiences.c.state, sa.func.count())
    .where(experiences.c.workspace_id == _WS)
    .group_by(experiences.c.state)
)
_OWN_RESPONSES = (
    sa.select(responses.c.created_at, responses.c.completed_at)
    .join(experience_versions, responses.c.experience_version_id == experience_versions.c.id)
    .join(experiences, experience_versions.c.experience_id == experiences.c.id)
    .where(experiences.c.workspace_id == _WS)
    .subquery()
)
RESPONSES = sa.select(
    sa.func.count(),
    sa.func.count().filter(_OWN_RESPONSES.c.created_at >= sa.bindparam("since")),
    sa.func.count().filter(_OWN_RESPONSES.c.completed_at >= sa.bindparam("since")),
).select_from(_OWN_RESPONSES)
DESTINATIONS = sa.select(sa.func.count(), sa.func.count().filter(destinations.c.paused_reason.is_not(None))).where(
    destinations.c.workspace_id == _WS
)
DESTINATION_IDS = sa.select(destinations.c.id).where(destinations.c.workspace_id == _WS)


class SqlWorkspaceOverview:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def summary(self, workspace_id: int, now: datetime) -> WorkspaceSummary:
        params = {"ws": workspace_id, "since": now - timedelta(days=1)}
        with reader(self._engine).connect() as conn:
            states: dict[str, int] = {state: n for state, n in conn.execute(EXPERIENCES_BY_STATE, params)}
            total, day, completed = conn.execute(RESPONSES, params).one()
            dest_total, paused = conn.execute(DESTINATIONS, params).one()
            own = set(conn.execute(DESTINATION_IDS, params).scalars())
            items: dict[str, int] = {}
            for (destination_id, state), n in reads.counts_by_state(conn).items():
                if destination_id in own:
                    items[state] = items.get(state, 0) + n
        live = states.get("published", 0)
        return WorkspaceSummary(
            experiences_live=live,
            experiences_other=sum(states.values()) - live,
            responses_total=total,
            responses_day=day,
            completed_day=completed,
            destinations=dest_total,
            destinations_paused=paused,
            pending=sum(n for state, n in items.items() if state not in ("delivered", "dead")),
            dead=items.get("dead", 0),
        )
