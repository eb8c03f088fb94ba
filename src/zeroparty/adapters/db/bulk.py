"""Statements that take whole lists as ONE parameter, for the delivery's hot path.

`column.in_(values)` renders a placeholder per value at every execution, and SQLAlchemy builds,
keys and processes each statement in Python: for a claim of 1,200 users or a settle of 75, that
cost more than the database's own work (measured with py-spy; docs/delivery.md, "Throughput").
A `BulkSql` is plain SQL written once, with three macros for lists and maps that become one
parameter each, and the same text on every execution, so SQLAlchemy compiles it once:

- `{ids:NAME}`: a subquery of the strings in list NAME — a JSON array read by `json_each` on
  SQLite, an array `unnest`ed on PostgreSQL;
- `{texts:NAME}`: a (key, value) table of the dict NAME, values as text;
- `{docs:NAME}`: the same, values as JSON documents.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, CursorResult
from sqlalchemy.types import TypeEngine

from zeroparty.domain import json_bytes

_MACROS = {
    "sqlite": {
        "ids": "(SELECT value FROM json_each(:{0}))",
        "texts": "json_each(:{0})",
        "docs": "json_each(:{0})",
    },
    "postgresql": {
        "ids": "(SELECT unnest(CAST(:{0} AS text[])))",
        "texts": "json_each_text(CAST(:{0} AS json))",
        "docs": "json_each(CAST(:{0} AS json))",
    },
}
_MACRO = re.compile(r"\{(ids|texts|docs):(\w+)\}")


class BulkSql:
    """One statement, written once, run with lists and maps as single parameters."""

    def __init__(
        self,
        sql: str,
        *,
        types: Mapping[str, TypeEngine[Any]] | None = None,
        columns: Mapping[str, TypeEngine[Any]] | None = None,
    ) -> None:
        self._sql = sql
        self._types = dict(types or {})
        self._columns = dict(columns or {})
        used = _MACRO.findall(sql)
        self._lists = {name for kind, name in used if kind == "ids"}
        self._maps = {name for kind, name in used if kind != "ids"}
        self._texts: dict[str, sa.Executable] = {}

    def _text(self, dialect: str) -> sa.Executable:
        found = self._texts.get(dialect)
        if found is None:
            macros = _MACROS[dialect]
            text = sa.text(_MACRO.sub(lambda m: macros[m.group(1)].format(m.group(2)), self._sql))
            text = text.bindparams(*(sa.bindparam(k, type_=t) for k, t in self._types.items()))
            found = text.columns(**self._columns) if self._columns else text
            self._texts[dialect] = found
        return found

    def run(self, conn: Connection, **params: Any) -> CursorResult[Any]:
        dialect = conn.dialect.name
        for name in self._lists:
            values = list(params[name])
            params[name] = values if dialect == "postgresql" else json_bytes.dumps_text(values)
        for name in self._maps:
            params[name] = json_bytes.dumps_text(dict(params[name]))
        return conn.execute(self._text(dialect), params)
