"""Backfill writes: queue each respondent's current profile for one destination, through the same
outbox, per-user queue, dedupe record and limits as everything else (docs/delivery.md,
"Deliveries, replay and backfill"). One transaction per chunk of respondents.

A destination naming people by external id keys its rows by the respondent's newest signed external
id (the email goes among the attributes); respondents without one are counted, not queued."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from zeroparty.adapters.db.engine import reader
from zeroparty.adapters.db.experiences import version_by_id
from zeroparty.adapters.db.outbox_sql import queue, rows
from zeroparty.adapters.db.schema import answers, responses
from zeroparty.adapters.db.workspace_scope import of_workspace
from zeroparty.domain.backfill import StoredResponse, current_profile
from zeroparty.services.destination_backfill import CHUNK, Queued

E = responses.c


def _newest_external_ids(
    conn: Connection, emails: Sequence[str], since: datetime | None, workspace_id: int
) -> dict[str, str]:
    """Each respondent's newest signed external id, among their responses (since `since`)."""
    query = (
        sa.select(E.email, E.external_id)
        .where(E.email.in_(list(emails)), E.external_id.is_not(None), of_workspace(workspace_id))
        .order_by(E.updated_at)
    )
    if since is not None:
        query = query.where(E.created_at >= since)
    return {str(r.email): str(r.external_id) for r in conn.execute(query)}  # later rows win


class SqlBackfill:
    """Backfills from one workspace's responses (to its experiences) only."""

    def __init__(self, engine: Engine, *, workspace_id: int) -> None:
        self._engine = engine
        self._workspace_id = workspace_id

    def respondents(self, since: datetime | None) -> list[str]:
        """Every email with a response (created at or after `since`), in order."""
        query = (
            sa.select(E.email)
            .where(E.email.is_not(None), of_workspace(self._workspace_id))
            .distinct()
            .order_by(E.email)
        )
        if since is not None:
            query = query.where(E.created_at >= since)
        with reader(self._engine).connect() as conn:
            return [str(x) for x in conn.execute(query).scalars()]

    def queue(
        self,
        destination_id: int,
        emails: Sequence[str],
        since: datetime | None,
        now: datetime,
        *,
        by_external_id: bool = False,
        with_consent: bool = False,
    ) -> Queued:
        """Queue one outbox row per respondent in `emails` whose responses set anything. With
        `by_external_id` each row is keyed by the respondent's newest signed external id."""
        with self._engine.begin() as conn:
            keys = (
                _newest_external_ids(conn, emails, since, self._workspace_id)
                if by_external_id
                else {e: e for e in emails}
            )
            # First: the queue rows lock each user, so a capture for one of them commits before or
            # after this chunk as a whole, never in between the read below and the rows it makes.
            queue.enqueue_users(conn, [destination_id], list(dict.fromkeys(keys.values())), now)
            query = sa.select(
                E.id, E.email, E.experience_version_id, E.outcome_id, E.completed_at, E.updated_at, E.external_id
            ).where(E.email.in_(list(keys)), of_workspace(self._workspace_id))
            if since is not None:
                query = query.where(E.created_at >= since)
            found = conn.execute(query).all()
            stored: dict[str, dict[str, object]] = {}
            ids = [r.id for r in found]
            for start in range(0, len(ids), CHUNK):  # a respondent may have many responses
                for a in conn.execute(
                    sa.select(answers.c.response_id, answers.c.element_id, answers.c.value).where(
                        answers.c.response_id.in_(ids[start : start + CHUNK])
                    )
                ):
                    stored.setdefault(a.response_id, {})[a.element_id] = a.value
            versions = {v: version_by_id(conn, v).experience for v in {r.experience_version_id for r in found}}
            per_user: dict[str, list[tuple[StoredResponse, str]]] = {}
            for r in found:
                response = StoredResponse(
                    versions[r.experience_version_id],
                    stored.get(r.id, {}),
                    r.outcome_id,
                    r.completed_at,
                    r.updated_at,
                    r.external_id,
                )
                per_user.setdefault(r.email, []).append((response, r.id))
            new: list[rows.NewRow] = []
            for email, theirs in per_user.items():
                profile = current_profile((s for s, _ in theirs), with_consent)
                change = profile.change(email)
                if change is None or email not in keys:
                    continue
                newest = max(theirs, key=lambda t: t[0].updated_at)[1]
                new.append(rows.NewRow(destination_id, newest, keys[email], change))
            rows.add(conn, new, now)
        return Queued(len(new), len(set(emails) - set(keys)))
