"""A/B variants of an experience (`experience_variants`): named statements, and the store behind
services/variant_admin.py (its `VariantStore` port). Capture reads them through `variants_of` in its own transaction."""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from zeroparty.adapters.db.engine import reader
from zeroparty.adapters.db.experiences import version_by_id
from zeroparty.adapters.db.schema import experience_variants, experience_versions, experiences
from zeroparty.domain.experience.variants import Variant, variant_problems
from zeroparty.domain.workspaces import DEFAULT_WORKSPACE_ID
from zeroparty.errors import FieldError, InvalidInput, NotFound
from zeroparty.services.ports import StoredVariant

ev, v = experience_variants.c, experience_versions.c

# -- named statements ------------------------------------------------------------------------------


_VARIANTS = (
    sa.select(ev.name, ev.version_id, v.version, ev.weight)
    .join(experience_versions, v.id == ev.version_id)
    .join(experiences, experiences.c.id == ev.experience_id)
    .where(experiences.c.slug == sa.bindparam("slug"))
    .order_by(ev.position)
)  # built once: every new response reads it


def variants_of(conn: Connection, slug: str) -> tuple[StoredVariant, ...]:
    return tuple(
        StoredVariant(r.name, r.version_id, r.version, r.weight) for r in conn.execute(_VARIANTS, {"slug": slug})
    )


def experience_id(conn: Connection, slug: str, workspace_id: int) -> int | None:
    """`slug`'s id when `workspace_id` holds it."""
    mine = sa.and_(experiences.c.slug == slug, experiences.c.workspace_id == workspace_id)
    found: int | None = conn.execute(sa.select(experiences.c.id).where(mine)).scalar()
    return found


def version_ids(conn: Connection, exp_id: int) -> dict[int, int]:
    """Version number → version id, every version of the experience."""
    rows = conn.execute(sa.select(v.version, v.id).where(v.experience_id == exp_id))
    return {r.version: r.id for r in rows}


def delete_variants(conn: Connection, exp_id: int) -> None:
    conn.execute(sa.delete(experience_variants).where(ev.experience_id == exp_id))


def insert_variants(conn: Connection, exp_id: int, rows: Sequence[tuple[Variant, int]]) -> None:
    conn.execute(
        sa.insert(experience_variants),
        [
            {"experience_id": exp_id, "name": var.name, "version_id": vid, "weight": var.weight, "position": i}
            for i, (var, vid) in enumerate(rows)
        ],
    )


# -- the store -------------------------------------------------------------------------------------


class SqlVariants:
    """One workspace's experiences' variants: another workspace's experience is not found."""

    def __init__(self, engine: Engine, *, workspace_id: int = DEFAULT_WORKSPACE_ID) -> None:
        self._engine = engine
        self._workspace_id = workspace_id

    def _experience(self, conn: Connection, slug: str) -> int:
        exp_id = experience_id(conn, slug, self._workspace_id)
        if exp_id is None:
            raise NotFound(FieldError("slug", f"no experience '{slug}'; publish one with `experiences import`"))
        return exp_id

    def list(self, slug: str) -> tuple[StoredVariant, ...]:
        with reader(self._engine).begin() as conn:
            self._experience(conn, slug)
            return variants_of(conn, slug)

    def replace(self, slug: str, variants: Sequence[Variant]) -> tuple[StoredVariant, ...]:
        """Serve `slug` as these variants from now on; InvalidInput naming each bad one (nothing
        changes then). Responses keep the variant and version they started on."""
        with self._engine.begin() as conn:
            exp_id = self._experience(conn, slug)
            ids = version_ids(conn, exp_id)
            hidden = {
                number: frozenset(f.key for f in version_by_id(conn, vid).experience.hidden())
                for number, vid in ids.items()
                if number in {var.version for var in variants}
            }
            problems = variant_problems(variants, hidden, slug)
            if problems:
                raise InvalidInput([FieldError(where, why) for where, why in problems], "variants refused")
            delete_variants(conn, exp_id)
            insert_variants(conn, exp_id, [(var, ids[var.version]) for var in variants])
            return variants_of(conn, slug)

    def clear(self, slug: str) -> int:
        """No variants: new respondents get the latest version again. How many there were."""
        with self._engine.begin() as conn:
            exp_id = self._experience(conn, slug)
            had = len(variants_of(conn, slug))
            delete_variants(conn, exp_id)
            return had
