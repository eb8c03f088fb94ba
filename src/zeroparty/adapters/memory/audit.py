"""The `AuditLog` port (services/audit.py) in memory: the SQL store's twin for unit tests."""

from __future__ import annotations

from datetime import datetime

from zeroparty.services.audit import AuditEntry, Detail


class MemoryAuditLog:
    def __init__(self) -> None:
        self.written: list[AuditEntry] = []

    def record(
        self, workspace_id: int | None, actor: str, action: str, target: str, detail: Detail, now: datetime
    ) -> AuditEntry:
        entry = AuditEntry(len(self.written) + 1, now, workspace_id, actor, action, target, dict(detail))
        self.written.append(entry)
        return entry

    def entries(self, workspace_id: int | None, limit: int, before_id: int | None = None) -> list[AuditEntry]:
        found = [
            e
            for e in reversed(self.written)
            if e.workspace_id == workspace_id and (before_id is None or e.id < before_id)
        ]
        return found[:limit]
