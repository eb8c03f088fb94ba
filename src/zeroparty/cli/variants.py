"""`zeroparty experiences variants`: serve an experience as two or more of its published versions,
by weight (A/B variants, docs/analytics.md "Variants"), show them, or stop."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from zeroparty.cli.app import experiences_cli
from zeroparty.cli.common import fail, print_json, settings
from zeroparty.cli.records import Field, say, show
from zeroparty.errors import InvalidInput

if TYPE_CHECKING:
    from zeroparty.services.ports import StoredVariant


def _show(slug: str, found: tuple[StoredVariant, ...], as_json: bool) -> None:
    total = sum(v.weight for v in found)
    if as_json:
        print_json(
            {
                "slug": slug,
                "variants": [
                    {"name": v.name, "version": v.version, "weight": v.weight, "share": round(v.weight / total, 4)}
                    for v in found
                ],
            }
        )
        return
    if not found:
        say(f"'{slug}' has no variants: new respondents get its latest published version.")
        return
    fields = (
        Field("variant", whole=True),
        Field("version", number=True),
        Field("weight", number=True),
        Field("share", number=True),
    )
    show(fields, [(v.name, str(v.version), str(v.weight), f"{100 * v.weight / total:.1f}%") for v in found])


@experiences_cli.command("variants")
def variants(
    slug: Annotated[str, typer.Argument(help="The experience to serve as variants.")],
    set_: Annotated[
        list[str] | None,
        typer.Option("--set", help="NAME=VERSION:WEIGHT, once per variant (at least two); replaces them all."),
    ] = None,
    clear: Annotated[bool, typer.Option("--clear", help="No variants: serve the latest version again.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON for machines instead of a table.")] = False,
) -> None:
    """Show an experience's A/B variants, set them (`--set A=3:50 --set B=4:50`) or clear them.

    New respondents get a variant drawn by weight and keep it when they come back; each response
    keeps the variant and version it started on. While variants are set, publishing a new version
    changes nothing for respondents until a variant names it (or `--clear`)."""
    from zeroparty.bootstrap import variant_admin
    from zeroparty.cli.workspace_scope import scoped_store
    from zeroparty.domain.experience.variants import BadVariant

    if set_ and clear:
        fail("--set and --clear: give one or the other")
    engine, workspace = scoped_store(settings())
    admin = variant_admin(engine, workspace.id)
    try:
        if clear:
            had = admin.clear(slug)
            say(
                f"'{slug}' has no variants now" + (f" (it had {had})" if had else "") + ": it serves its latest version"
            )
            return
        if set_:
            try:
                made = admin.set(slug, set_)
            except BadVariant as exc:
                fail(f"--set: {exc}")
            _show(slug, made, as_json)
            return
        _show(slug, admin.variants(slug), as_json)
    except InvalidInput as exc:  # NotFound too: an unknown experience
        fail("\n".join(f"{e.field}: {e.message}" for e in exc.errors))
