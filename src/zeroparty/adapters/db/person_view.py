"""One person as one workspace knows them (services/person_view.py's `PersonReads`): their
responses to its experiences with the answers, the consents with the text shown, and what its
destinations were sent. Reads only. The delivery tables are read through `outbox_sql/person.py`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from zeroparty.adapters.db.outbox_sql import person as sent
from zeroparty.adapters.db.schema import answers, consent_records, experience_versions, experiences, responses
from zeroparty.adapters.db.workspace_scope import of_workspace
from zeroparty.domain.holdings import AT_KEY
from zeroparty.services.person_view import Answer, Consent, Person, PersonResponse, Received, SentItem

V = experience_versions.c
E = experiences.c


class SqlPersonReads:
    def __init__(self, engine: Engine, *, workspace_id: int) -> None:
        self._engine = engine
        self._workspace_id = workspace_id

    def person(self, email: str) -> Person | None:
        with self._engine.connect() as conn:
            found = self._responses(conn, email)
            ids = [r.id for r in found]
            external_ids = sorted({r.external_id for r in found if r.external_id is not None})
            user_keys = [email, *external_ids]
            received = self._received(conn, user_keys, ids)
            if not found and not received:
                return None
            by_response = self._answers(conn, ids)
            made = tuple(
                PersonResponse(
                    r.id, r.slug, int(r.version), r.channel, r.created_at, r.completed_at, r.outcome_id,
                    tuple(by_response.get(r.id, ())),
                )
                for r in found
            )  # fmt: skip
            slugs = {r.id: r.slug for r in found}
            return Person(email, made, self._consents(conn, ids, slugs), received)

    def _responses(self, conn: Connection, email: str) -> Sequence[Any]:
        return conn.execute(
            sa.select(
                responses.c.id, responses.c.channel, responses.c.created_at, responses.c.completed_at,
                responses.c.outcome_id, responses.c.external_id, E.slug, V.version,
            )
            .join(experience_versions, V.id == responses.c.experience_version_id)
            .join(experiences, E.id == V.experience_id)
            .where(responses.c.email == email, of_workspace(self._workspace_id))
            .order_by(responses.c.created_at, responses.c.id)
        ).all()  # fmt: skip

    @staticmethod
    def _answers(conn: Connection, ids: list[str]) -> dict[str, list[Answer]]:
        found: dict[str, list[Answer]] = {}
        if not ids:
            return found
        rows = conn.execute(
            sa.select(answers)
            .where(answers.c.response_id.in_(ids))
            .order_by(answers.c.answered_at, answers.c.element_id)
        )
        for a in rows:
            found.setdefault(a.response_id, []).append(Answer(a.element_id, a.screen_id, a.value, a.answered_at))
        return found

    @staticmethod
    def _consents(conn: Connection, ids: list[str], slugs: dict[str, str]) -> tuple[Consent, ...]:
        if not ids:
            return ()
        C = consent_records.c
        rows = conn.execute(sa.select(consent_records).where(C.response_id.in_(ids)).order_by(C.recorded_at, C.id))
        return tuple(
            Consent(
                c.response_id, slugs.get(c.response_id, ""), c.element_id, c.purpose, c.consent_key, bool(c.given),
                c.text, c.recorded_at,
            )
            for c in rows
        )  # fmt: skip

    def _received(self, conn: Connection, user_keys: list[str], ids: list[str]) -> tuple[Received, ...]:
        items: dict[str, list[SentItem]] = {}
        for r in sent.rows_of(conn, user_keys, ids, self._workspace_id):
            payload = r.payload if isinstance(r.payload, dict) else {}
            attributes = payload.get("attributes")
            items.setdefault(r.name, []).append(
                SentItem(
                    r.response_id, r.user_key, r.state, dict(attributes) if isinstance(attributes, dict) else {},
                    int(r.attempts), r.created_at, r.delivered_at,
                )
            )  # fmt: skip
        accepted: dict[str, dict[str, dict[str, Any]]] = {}
        for r in sent.accepted_by(conn, user_keys, self._workspace_id):
            values = r._mapping["values"]  # `values` is also a method of every row
            held = values if isinstance(values, dict) else {}
            accepted.setdefault(r.name, {})[r.user_key] = {k: v for k, v in held.items() if k != AT_KEY}  # not theirs
        return tuple(
            Received(name, tuple(items.get(name, ())), accepted.get(name, {}))
            for name in sorted(set(items) | set(accepted))
        )
