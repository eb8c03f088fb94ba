"""The audit log through its service, on the in-memory twin: no secret gets in, and the exports
are safe to open in a spreadsheet."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from zeroparty.adapters.memory.audit import MemoryAuditLog
from zeroparty.errors import InvalidInput
from zeroparty.services.audit import AuditService

T0 = datetime(2026, 6, 1, 12, tzinfo=UTC)
WS = 1


def test_the_audit_log_refuses_a_detail_that_looks_like_a_secret() -> None:
    log = MemoryAuditLog()
    audit = AuditService(log, lambda: T0)
    for key in ("api_key", "Password", "token_hint", "client_secret"):
        with pytest.raises(InvalidInput) as refused:
            audit.record(WS, "cli", "destination.add", "eu", {key: "x"})
        assert refused.value.errors[0].field == "detail"
    assert log.written == []
    audit.record(WS, "cli", "destination.add", "=HYPERLINK(1)", {"endpoint": "https://rest.fra-01.braze.eu"})
    rows = list(audit.csv_rows(WS))
    assert rows[0] == "id,at,workspace_id,actor,action,target,detail\n"
    assert ",'=HYPERLINK(1)," in rows[1] and rows[1].startswith("1,2026-06-01T12:00:00Z,1,cli,destination.add")
    long = audit.record(WS, "x" * 500, "destination.add", "t" * 500, {})
    assert (len(long.actor), len(long.target)) == (200, 300)
    [_, line] = audit.json_lines(WS)
    assert '"target": "=HYPERLINK(1)"' in line and line.endswith("}\n")
