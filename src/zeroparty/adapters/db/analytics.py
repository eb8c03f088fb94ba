"""The analytics event log and the reads behind the funnel and the response export. Every read is
chunked (keyset pagination, `chunk` rows a query), so neither a long log nor a million responses is
ever held in memory at once."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from zeroparty.adapters.db.engine import reader
from zeroparty.adapters.db.experiences import latest_published
from zeroparty.adapters.db.schema import analytics_events, answers, consent_records, experience_versions, experiences
from zeroparty.adapters.db.schema import responses as responses_table
from zeroparty.domain.experience.export_columns import ExportRow
from zeroparty.domain.experience.funnel import Event, EventKind, ResponseFacts
from zeroparty.domain.experience.model import Experience
from zeroparty.domain.workspaces import DEFAULT_WORKSPACE_ID
from zeroparty.services.analytics_ports import Window

EVENT_CHUNK = 5000
e, r = analytics_events.c, responses_table.c


def _versions_of(slug: str) -> sa.Select[Any]:
    return (
        sa.select(experience_versions.c.id)
        .join(experiences, experiences.c.id == experience_versions.c.experience_id)
        .where(experiences.c.slug == slug)
    )


def _in_window(column: Any, window: Window) -> list[Any]:
    found = []
    if window.since is not None:
        found.append(column >= window.since)
    if window.until is not None:
        found.append(column < window.until)
    return found


# -- named statements ------------------------------------------------------------------------------


def insert_events(conn: Connection, events: Sequence[Event]) -> None:
    conn.execute(
        sa.insert(analytics_events),
        [
            {
                "kind": ev.kind.value,
                "experience_slug": ev.slug,
                "version": ev.version,
                "response_id": ev.response_id,
                "screen_id": ev.screen_id,
                "outcome_id": ev.outcome_id,
                "variant": ev.variant,
                "duration_ms": ev.duration_ms,
                "at": ev.at,
            }
            for ev in events
        ],
    )


def events_after(conn: Connection, slug: str, window: Window, after_id: int, chunk: int) -> Sequence[Any]:
    query = (
        sa.select(analytics_events)
        .where(e.experience_slug == slug, e.id > after_id, *_in_window(e.at, window))
        .order_by(e.id)
        .limit(chunk)
    )
    return conn.execute(query).all()


def responses_with_email(conn: Connection, slug: str, window: Window) -> frozenset[str]:
    query = sa.select(r.id).where(
        r.experience_version_id.in_(_versions_of(slug)), r.email.is_not(None), *_in_window(r.created_at, window)
    )
    return frozenset(conn.execute(query).scalars())


def opted_in_responses(conn: Connection, slug: str, window: Window) -> frozenset[str]:
    """Responses whose latest email-marketing consent record gives it."""
    c = consent_records.c
    latest = (
        sa.select(sa.func.max(c.id))
        .join(responses_table, r.id == c.response_id)
        .where(
            c.purpose == "email_marketing",
            r.experience_version_id.in_(_versions_of(slug)),
            *_in_window(r.created_at, window),
        )
        .group_by(c.response_id)
    )
    query = sa.select(c.response_id).where(c.id.in_(latest), c.given.is_(True))
    return frozenset(conn.execute(query).scalars())


def response_page(conn: Connection, slug: str, after: str, chunk: int) -> Sequence[Any]:
    """Up to `chunk` responses with an id above `after`, in id order (the primary key's index: each
    chunk is one index range, however many responses there are), each with the variant it was served."""
    query = (
        sa.select(r.id, r.created_at, r.completed_at, r.outcome_id, r.variant)
        .where(r.experience_version_id.in_(_versions_of(slug)))
        .where(r.id > after)
        .order_by(r.id)
        .limit(chunk)
    )
    return conn.execute(query).all()


def answers_of(conn: Connection, response_ids: list[str]) -> dict[str, dict[str, Any]]:
    a = answers.c
    found: dict[str, dict[str, Any]] = {rid: {} for rid in response_ids}
    for row in conn.execute(sa.select(a.response_id, a.element_id, a.value).where(a.response_id.in_(response_ids))):
        found[row.response_id][row.element_id] = row.value
    return found


# -- the store -------------------------------------------------------------------------------------


def _event(row: sa.Row[Any]) -> Event:
    return Event(
        kind=EventKind(row.kind),
        slug=row.experience_slug,
        at=row.at,
        version=row.version,
        response_id=row.response_id,
        screen_id=row.screen_id,
        outcome_id=row.outcome_id,
        variant=row.variant,
        duration_ms=row.duration_ms,
    )


class SqlAnalytics:
    """`EventLog` and `AnalyticsReader` on the product's database. The reads are one workspace's:
    `latest` finds no experience of another workspace, and the service reads nothing more of an
    experience it did not find (slugs are unique on the instance, so the rest is the same one's)."""

    def __init__(
        self, engine: Engine, event_chunk: int = EVENT_CHUNK, *, workspace_id: int = DEFAULT_WORKSPACE_ID
    ) -> None:
        self.engine = engine
        self._event_chunk = event_chunk
        self._workspace_id = workspace_id

    def append(self, events: Sequence[Event]) -> None:
        if events:
            with self.engine.begin() as conn:
                insert_events(conn, events)

    def latest(self, slug: str) -> Experience | None:
        with reader(self.engine).connect() as conn:
            pub = latest_published(conn, slug)
        return None if pub is None or pub.workspace_id != self._workspace_id else pub.experience

    def events(self, slug: str, window: Window) -> Iterator[Event]:
        after = 0
        while True:
            with reader(self.engine).connect() as conn:
                rows = events_after(conn, slug, window, after, self._event_chunk)
            yield from (_event(row) for row in rows)
            if len(rows) < self._event_chunk:
                return
            after = rows[-1].id

    def response_facts(self, slug: str, window: Window) -> ResponseFacts:
        with reader(self.engine).begin() as conn:
            return ResponseFacts(responses_with_email(conn, slug, window), opted_in_responses(conn, slug, window))

    def export_rows(self, slug: str, chunk: int) -> Iterator[ExportRow]:
        after = ""
        while True:
            # One short read per chunk: no transaction stays open while the caller writes a file.
            with reader(self.engine).begin() as conn:
                page = response_page(conn, slug, after, chunk)
                given = answers_of(conn, [row.id for row in page])
            for row in page:
                yield ExportRow(row.id, row.created_at, row.completed_at, row.outcome_id, row.variant, given[row.id])
            if len(page) < chunk:
                return
            after = page[-1].id
