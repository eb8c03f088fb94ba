"""The in-memory twin of adapters/db/person_view.py: one person as one workspace knows them, read
from the memory capture store and its outbox."""

from __future__ import annotations

from typing import Any

from zeroparty.adapters.memory.capture import MemoryCaptureStore
from zeroparty.services.person_view import Answer, Consent, Person, PersonResponse, Received, SentItem


class MemoryPersonReads:
    def __init__(self, capture: MemoryCaptureStore, *, workspace_id: int) -> None:
        self._capture = capture
        self._workspace_id = workspace_id

    def person(self, email: str) -> Person | None:
        with self._capture.reading() as reader:
            versions = {r.version_id: reader.version(r.version_id) for r in self._capture.responses()}
        found = sorted(
            (
                r
                for r in self._capture.responses()
                if r.email == email and versions[r.version_id].workspace_id == self._workspace_id
            ),
            key=lambda r: (r.created_at, r.id),
        )
        ids = [r.id for r in found]
        user_keys = {email, *(r.external_id for r in found if r.external_id is not None)}
        received = self._received(user_keys, set(ids))
        if not found and not received:
            return None
        made = tuple(
            PersonResponse(
                r.id, versions[r.version_id].experience.slug, versions[r.version_id].version, r.channel, r.created_at,
                r.completed_at, r.outcome_id,
                tuple(
                    Answer(a.element_id, a.screen_id, a.value, a.answered_at)
                    for a in sorted(self._capture.answers(r.id).values(), key=lambda a: (a.answered_at, a.element_id))
                ),
            )
            for r in found
        )  # fmt: skip
        slugs = {r.id: r.experience for r in made}
        consents = tuple(
            Consent(c.response_id, slugs[c.response_id], c.element_id, c.purpose, c.consent_key, c.given, c.text,
                    c.recorded_at)
            for c in sorted(self._capture.consents(), key=lambda c: c.recorded_at)
            if c.response_id in slugs
        )  # fmt: skip
        return Person(email, made, consents, received)

    def _received(self, user_keys: set[str], ids: set[str]) -> tuple[Received, ...]:
        outbox = self._capture.outbox
        mine = {
            d: outbox.destination(d).name
            for d in outbox.destination_ids()
            if outbox.destination(d).workspace_id == self._workspace_id
        }
        items: dict[str, list[SentItem]] = {}
        for r in outbox.rows():
            if r.destination_id in mine and (r.user_key in user_keys or r.response_id in ids):
                attributes = r.payload.get("attributes")
                items.setdefault(mine[r.destination_id], []).append(
                    SentItem(
                        r.response_id or "", r.user_key, r.state,
                        dict(attributes) if isinstance(attributes, dict) else {}, r.attempts, r.created_at,
                        r.delivered_at,
                    )
                )  # fmt: skip
        accepted: dict[str, dict[str, dict[str, Any]]] = {}
        for d, name in mine.items():
            for key in sorted(user_keys):
                if outbox.record(d, key):
                    accepted.setdefault(name, {})[key] = outbox.accepted(d, key)
        return tuple(
            Received(name, tuple(items.get(name, ())), accepted.get(name, {}))
            for name in sorted(set(items) | set(accepted))
        )
