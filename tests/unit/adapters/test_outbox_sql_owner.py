"""One owner of the outbox tables: only `adapters/db/outbox_sql/` imports them or writes SQL on them.

import-linter cannot say this (its contracts are about modules, and the tables are names in
`schema.py`, which every store imports), so the source is read here instead."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from zeroparty.adapters.db import outbox_sql
from zeroparty.adapters.db.metadata import metadata

SRC = Path(outbox_sql.__file__).resolve().parents[3]  # src/zeroparty
OWNER = SRC / "adapters" / "db" / "outbox_sql"
SCHEMA_MODULE = "zeroparty.adapters.db.schema"
# Declaring and migrating the tables is not using them.
DECLARING = (SRC / "adapters" / "db" / "schema.py", SRC / "adapters" / "db" / "migrations")
OWNED = frozenset(t.name for t in outbox_sql.TABLES)
SQL_ON_OWNED = re.compile(r"\b(?:FROM|INTO|UPDATE|JOIN|TABLE)\s+\"?(" + "|".join(sorted(OWNED)) + r")\b")


def _outside_owner() -> list[Path]:
    return [
        p
        for p in sorted(SRC.rglob("*.py"))
        if not p.is_relative_to(OWNER) and not any(p == d or p.is_relative_to(d) for d in DECLARING)
    ]


def offences(path: Path) -> list[str]:
    """Where `path` imports an owned table from the schema, reaches one through the schema module,
    or names one in SQL text."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    schema_aliases: set[str] = set()
    found: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == SCHEMA_MODULE:
            found += [f"{path}:{node.lineno}: imports {a.name}" for a in node.names if a.name in OWNED]
        elif isinstance(node, ast.ImportFrom) and node.module == "zeroparty.adapters.db":
            schema_aliases |= {a.asname or a.name for a in node.names if a.name == "schema"}
        elif isinstance(node, ast.Import):
            schema_aliases |= {a.asname or a.name for a in node.names if a.name == SCHEMA_MODULE}
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr in OWNED and ast.unparse(node.value) in schema_aliases:
            found.append(f"{path}:{node.lineno}: uses schema.{node.attr}")
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            found += [f"{path}:{node.lineno}: SQL on {m.group(1)}" for m in SQL_ON_OWNED.finditer(node.value)]
    return found


def test_no_module_outside_the_owner_touches_the_outbox_tables() -> None:
    modules = _outside_owner()
    assert len(modules) > 50  # the walk found the source
    assert [o for p in modules for o in offences(p)] == []


def test_every_delivery_table_in_the_schema_has_the_owner() -> None:
    """A delivery table added to the schema is owned too (and so skipped by the generic walks of
    erasure and destination removal only because the owner deletes from it)."""
    delivery = {name for name in metadata.tables if name == "outbox" or name.startswith("delivery_")}
    assert delivery == OWNED


def test_the_check_sees_each_way_of_touching_a_table(tmp_path: Path) -> None:
    module = tmp_path / "offender.py"
    module.write_text(
        "from zeroparty.adapters.db.schema import delivery_state, responses\n"
        "from zeroparty.adapters.db import schema as s\n"
        "q = s.outbox.c.id\n"
        "SQL = 'UPDATE delivery_queue SET state = 1'\n"
        "fine = 'a row of the outbox'\n",
        encoding="utf-8",
    )
    assert sorted(o.split(": ", 1)[1] for o in offences(module)) == [
        "SQL on delivery_queue",
        "imports delivery_state",
        "uses schema.outbox",
    ]
