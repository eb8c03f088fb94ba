"""The audit log (table audit_log in schema.py): the `AuditLog` port of services/audit.py."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from zeroparty.adapters.db.engine import reader
from zeroparty.adapters.db.schema import audit_log
from zeroparty.services.audit import AuditEntry, Detail

INSERT = sa.insert(audit_log)
_NEWEST_FIRST = sa.select(audit_log).order_by(audit_log.c.id.desc()).limit(sa.bindparam("limit"))
OF_WORKSPACE = _NEWEST_FIRST.where(audit_log.c.workspace_id == sa.bindparam("ws"))
OF_INSTANCE = _NEWEST_FIRST.where(audit_log.c.workspace_id.is_(None))


def _entry(m: sa.RowMapping) -> AuditEntry:
    return AuditEntry(m["id"], m["at"], m["workspace_id"], m["actor"], m["action"], m["target"], dict(m["detail"]))


class SqlAuditLog:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def record(
        self, workspace_id: int | None, actor: str, action: str, target: str, detail: Detail, now: datetime
    ) -> AuditEntry:
        row = {"at": now, "workspace_id": workspace_id, "actor": actor, "action": action, "target": target}
        with self.engine.begin() as conn:
            key = conn.execute(INSERT, row | {"detail": detail}).inserted_primary_key
        assert key is not None
        return AuditEntry(int(key[0]), now, workspace_id, actor, action, target, dict(detail))

    def entries(self, workspace_id: int | None, limit: int, before_id: int | None = None) -> list[AuditEntry]:
        query = OF_INSTANCE if workspace_id is None else OF_WORKSPACE
        if before_id is not None:
            query = query.where(audit_log.c.id < before_id)
        with reader(self.engine).connect() as conn:
            rows = conn.execute(query, {"ws": workspace_id, "limit": limit}).mappings().all()
        return [_entry(m) for m in rows]
