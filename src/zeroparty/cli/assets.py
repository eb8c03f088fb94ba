"""`zeroparty assets …`: images for definitions, stored under the hash of their bytes."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from zeroparty.cli.app import app
from zeroparty.cli.common import err, fail, iso, out, plain, print_json, runtime, settings
from zeroparty.cli.records import Field, say, show
from zeroparty.domain.assets import MAX_RASTER_BYTES, AssetInfo
from zeroparty.errors import InvalidInput

if TYPE_CHECKING:
    from zeroparty.services.assets import AssetService

assets_cli = typer.Typer(help="Images for definitions (PNG, JPEG, WebP, SVG).", no_args_is_help=True)
app.add_typer(assets_cli, name="assets")

KINDS = {"png": "PNG", "jpg": "JPEG", "webp": "WebP", "svg": "SVG"}
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON for machines instead of text.")]


def _service() -> AssetService:
    """The service on the existing store: listing and removing create nothing."""
    from zeroparty.bootstrap import asset_service
    from zeroparty.cli.workspace_scope import scoped_store

    engine, workspace = scoped_store(settings())
    return asset_service(engine, workspace.id)


def _size(n: int) -> str:
    return f"{n} B" if n < 1024 else f"{n / 1024:.1f} KB" if n < 1024 * 1024 else f"{n / (1024 * 1024):.1f} MB"


def _pixels(info: AssetInfo) -> str:
    return "scalable" if info.width is None or info.height is None else f"{info.width}×{info.height}"


def _as_json(info: AssetInfo) -> dict[str, object]:
    return {
        "name": info.name.reference,
        "url": info.name.url,
        "media_type": info.name.media_type,
        "bytes": info.size,
        "width": info.width,
        "height": info.height,
        "original_name": info.original_name,
        "created_at": iso(info.created_at),
    }


def _read(file: Path) -> bytes:
    try:
        with file.open("rb") as f:
            # One byte over the largest size allowed is enough to refuse it: a huge file is never read whole.
            return f.read(MAX_RASTER_BYTES + 1)
    except OSError as exc:
        fail(f"{file}: cannot be read ({exc.strerror})")


@assets_cli.command("add")
def add(
    file: Annotated[Path, typer.Argument(help="The image: PNG, JPEG, WebP or SVG (recognised by its contents).")],
    as_json: JsonOpt = False,
) -> None:
    """Store an image and print the name to use in definitions (`asset:<sha256>.<ext>`)."""
    data = _read(file)
    rt = runtime(settings())
    try:
        added = rt.assets.add(data, file.name)
    except InvalidInput as exc:
        fail("; ".join(f"{file}: {e.message}" for e in exc.errors))
    info = added.info
    if as_json:
        print_json({**_as_json(info), "created": added.created, "removed": list(added.removed)})
        return
    # The name alone on stdout, so `NAME=$(zeroparty assets add logo.png)` works; the rest on stderr.
    print(info.name.reference)
    what = f"{KINDS[info.name.extension]} image, {_pixels(info)}, {_size(info.size)}"
    if added.created:
        err.print(plain(f"Stored {file.name} ({what}), served at {info.name.url}."), highlight=False)
    else:
        err.print(plain(f"Already stored ({what}, first added from {info.original_name}): same name."), highlight=False)
    if added.removed:
        err.print(plain("Removed from the SVG to make it safe: " + "; ".join(added.removed)), highlight=False)


@assets_cli.command("list")
def list_assets(as_json: JsonOpt = False) -> None:
    """List stored images, newest first."""
    found = _service().listed()
    if as_json:
        print_json([_as_json(info) for info in found])
        return
    if not found:
        say("No images yet: add one with `zeroparty assets add FILE`.")
        return
    fields = (Field("name", whole=True), Field("pixels"), Field("size", number=True), Field("added"), Field("from"))
    rows = [(i.name.reference, _pixels(i), _size(i.size), str(i.created_at)[:16], i.original_name) for i in found]
    show(fields, rows)


@assets_cli.command("remove")
def remove(
    name: Annotated[str, typer.Argument(help="The image's name, asset:<sha256>.<ext> (or <sha256>.<ext>).")],
    force: Annotated[
        bool,
        typer.Option("--force", help="Remove it even though published definitions use it: their pages lose it."),
    ] = False,
) -> None:
    """Remove an image; refused while a published definition (any version) uses it, unless --force."""
    try:
        overridden = _service().remove(name, force=force)
    except InvalidInput as exc:
        fail(str(exc))
    out.print(plain(f"Removed {name}"), highlight=False)
    if overridden:
        where = ", ".join(f"{r.slug} v{r.version}" for r in overridden)
        err.print(plain(f"warning: still named by {where}: those pages now show no image there."), highlight=False)
