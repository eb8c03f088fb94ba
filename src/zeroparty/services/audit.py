"""The audit log: who changed what, when. Entries are written by the services that change things
(users, destinations, keys, publishes, erasures) and read by owners (`zeroparty audit`, the console).

A secret never enters the log: a detail key that sounds like one ("key", "password", "token",
"secret") is refused outright, whatever its value, so a careless caller fails in its tests instead
of writing a key into a table that is exported and kept."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from zeroparty.domain.csv_cells import csv_cell
from zeroparty.errors import FieldError, InvalidInput
from zeroparty.services.clock import utcnow

DetailValue = str | int | bool | None
Detail = dict[str, DetailValue]
SECRET_WORDS = ("key", "password", "token", "secret")
PAGE = 500
MAX_PAGE = 10_000
MAX_ACTOR, MAX_ACTION, MAX_TARGET = 200, 60, 300  # the audit_log columns' sizes
CSV_HEADER = ("id", "at", "workspace_id", "actor", "action", "target", "detail")


@dataclass(frozen=True)
class AuditEntry:
    id: int
    at: datetime
    workspace_id: int | None  # None: about the instance (a user disabled), not one workspace
    actor: str  # a user's email, `api-token:NAME` or `cli`
    action: str  # `user.create`, `destination.key`, …
    target: str
    detail: Detail = field(default_factory=dict)


class AuditLog(Protocol):
    def record(
        self, workspace_id: int | None, actor: str, action: str, target: str, detail: Detail, now: datetime
    ) -> AuditEntry: ...

    def entries(self, workspace_id: int | None, limit: int, before_id: int | None = None) -> list[AuditEntry]:
        """The workspace's entries (None: the instance's) newest first, at most `limit`, only those
        older than `before_id` when given (the next page)."""
        ...


def detail_problem(detail: Detail) -> str | None:
    """Why `detail` may not be logged, or None."""
    for key, value in detail.items():
        if any(word in key.lower() for word in SECRET_WORDS):
            return f"{key!r} looks like a secret, which the audit log never holds"
        if not isinstance(value, str | int | bool | type(None)):
            return f"{key!r} must be text, a number, true/false or null"
    return None


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def as_json(entry: AuditEntry) -> dict[str, object]:
    return {
        "id": entry.id,
        "at": _iso(entry.at),
        "workspace_id": entry.workspace_id,
        "actor": entry.actor,
        "action": entry.action,
        "target": entry.target,
        "detail": entry.detail,
    }


class AuditService:
    def __init__(self, log: AuditLog, clock: Callable[[], datetime] = utcnow) -> None:
        self._log = log
        self._clock = clock

    def record(
        self, workspace_id: int | None, actor: str, action: str, target: str, detail: Detail | None = None
    ) -> AuditEntry:
        """Log one change; InvalidInput naming `detail` for a key that sounds like a secret."""
        detail = dict(detail or {})
        if problem := detail_problem(detail):
            raise InvalidInput(FieldError("detail", problem))
        # Cut to the columns' sizes: an over-long name must not make the change it records fail.
        return self._log.record(
            workspace_id, actor[:MAX_ACTOR], action[:MAX_ACTION], target[:MAX_TARGET], detail, self._clock()
        )

    def list(self, workspace_id: int | None, limit: int = 50, before_id: int | None = None) -> list[AuditEntry]:
        return self._log.entries(workspace_id, min(max(1, limit), MAX_PAGE), before_id)

    def all(self, workspace_id: int | None) -> Iterator[AuditEntry]:
        """Every entry of the workspace, newest first, read a page at a time."""
        before: int | None = None
        while page := self._log.entries(workspace_id, PAGE, before):
            yield from page
            before = page[-1].id

    def csv_rows(self, workspace_id: int | None) -> Iterator[str]:
        """The workspace's log as CSV text, a header line first, one line per entry; a cell a
        spreadsheet would run as a formula is defused (a target is whatever a caller named)."""
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")

        def line(values: tuple[object, ...]) -> str:
            writer.writerow([csv_cell(v) for v in values])
            text = buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
            return text

        yield line(CSV_HEADER)
        for e in self.all(workspace_id):
            detail = json.dumps(e.detail, sort_keys=True)
            yield line((e.id, _iso(e.at), e.workspace_id, e.actor, e.action, e.target, detail))

    def json_lines(self, workspace_id: int | None) -> Iterator[str]:
        """The workspace's log as JSON lines (one entry an object, each line ending in a newline)."""
        for entry in self.all(workspace_id):
            yield json.dumps(as_json(entry), sort_keys=True) + "\n"
