"""Image assets: checked and stored under their content hash, listed, served, removed.

What an asset may be is decided here from its bytes alone (docs/experiences.md, "Images"): a PNG,
JPEG or WebP whose header parses within the size limits, or an SVG made safe by `clean_svg`. The
store keeps the exact bytes served, so the name (their SHA-256) is also their ETag.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from zeroparty.domain.assets import (
    MAX_RASTER_BYTES,
    MAX_SVG_BYTES,
    AssetInfo,
    AssetName,
    DefinitionVersion,
    StoredAsset,
    missing,
    name_for,
    parse_file_name,
    parse_name,
    references_in,
)
from zeroparty.domain.raster import NotAnImage, sniff_raster
from zeroparty.domain.svg_clean import SvgRefused, clean_svg
from zeroparty.domain.untrusted import printable
from zeroparty.errors import FieldError, InvalidInput, MalformedInput, NotFound
from zeroparty.services.clock import utcnow

FILE = "FILE"  # the field a problem with the uploaded bytes is reported under
MAX_ORIGINAL_NAME = 200


@dataclass(frozen=True)
class Added:
    info: AssetInfo
    created: bool  # False when the same content was stored already (adding is idempotent)
    removed: tuple[str, ...]  # what sanitising an SVG dropped, for people


@dataclass(frozen=True, order=True)
class Reference:
    """A published definition version that refers to an asset."""

    slug: str
    version: int


class AssetStore(Protocol):
    def add(self, asset: StoredAsset) -> tuple[AssetInfo, bool]:
        """Store `asset` unless its name is stored already; the stored one's info, and whether it is new."""
        ...

    def get(self, name: AssetName) -> StoredAsset | None: ...

    def list(self) -> list[AssetInfo]:
        """Every asset, newest first."""
        ...

    def present(self, names: Iterable[AssetName]) -> set[AssetName]:
        """Those of `names` that are stored."""
        ...

    def remove(self, name: AssetName) -> bool: ...


class PublishedDefinitions(Protocol):
    def definitions(self) -> Iterator[DefinitionVersion]:
        """Every published version, old ones too."""
        ...


def _megabytes(n: int) -> str:
    return f"{n // 1024} KB" if n < 1024 * 1024 else f"{n / (1024 * 1024):g} MB"


def _looks_like_xml(data: bytes) -> bool:
    head = data[:64].removeprefix(b"\xef\xbb\xbf").lstrip()
    return head.startswith(b"<")


def checked(data: bytes) -> tuple[bytes, str, int | None, int | None, tuple[str, ...]]:
    """The bytes to store for an upload, their extension, size in pixels and what was removed;
    raises InvalidInput naming FILE when the upload is no image that may be stored."""
    if not data:
        raise InvalidInput(FieldError(FILE, "is empty"))
    if len(data) > MAX_RASTER_BYTES:
        raise InvalidInput(
            FieldError(FILE, f"is larger than {_megabytes(MAX_RASTER_BYTES)}, the limit for PNG, JPEG and WebP")
        )
    try:
        raster = sniff_raster(data)
    except NotAnImage as exc:
        raise InvalidInput(FieldError(FILE, str(exc))) from None
    if raster is not None:
        return data, raster.extension, raster.width, raster.height, ()
    if not _looks_like_xml(data):
        raise InvalidInput(
            FieldError(FILE, "is not a PNG, JPEG, WebP or SVG image (its contents are checked, not its name)")
        )
    if len(data) > MAX_SVG_BYTES:
        raise InvalidInput(FieldError(FILE, f"is an SVG larger than {_megabytes(MAX_SVG_BYTES)}, the limit for SVG"))
    try:
        clean = clean_svg(data)
    except SvgRefused as exc:
        raise InvalidInput(FieldError(FILE, str(exc))) from None
    return clean.data, "svg", None, None, clean.removed


class AssetService:
    def __init__(
        self, store: AssetStore, published: PublishedDefinitions, clock: Callable[[], datetime] = utcnow
    ) -> None:
        self._store = store
        self._published = published
        self._clock = clock

    def add(self, data: bytes, original_name: str) -> Added:
        stored, extension, width, height, removed = checked(data)
        name = name_for(stored, extension)
        # A file name is anyone's bytes (undecodable ones arrive as surrogates): kept printable, so any
        # database can store it and any terminal can show it.
        label = printable(original_name)[:MAX_ORIGINAL_NAME]
        info = AssetInfo(name, len(stored), width, height, label, self._clock())
        kept, created = self._store.add(StoredAsset(info, stored))
        return Added(kept, created, removed)

    def listed(self) -> list[AssetInfo]:
        """Every asset, newest first."""
        return self._store.list()

    def get(self, file_name: str) -> StoredAsset:
        """The asset a URL names (`<sha256>.<ext>`); MalformedInput when that is no asset name,
        NotFound when no such asset is stored."""
        name = parse_file_name(file_name)
        if name is None:
            raise MalformedInput(FieldError("asset", "is not an asset name (<64 lower-case hex digits>.<extension>)"))
        found = self._store.get(name)
        if found is None:
            raise NotFound(FieldError("asset", "no such asset"))
        return found

    def exists(self, names: Iterable[AssetName]) -> list[AssetName]:
        """Those of `names` that are not stored (what a definition's check reports), sorted."""
        wanted = set(names)
        return missing(wanted, self._store.present(wanted)) if wanted else []

    def references(self, name: AssetName) -> list[Reference]:
        """The published definition versions that refer to `name`."""
        return sorted(
            Reference(v.slug, v.version) for v in self._published.definitions() if name in references_in(v.definition)
        )

    def remove(self, text: str, *, force: bool = False) -> list[Reference]:
        """Remove the asset `text` names (either spelling). Refused while a published definition
        version refers to it, unless `force`; returns the references that `force` overrode."""
        name = parse_name(text)
        if name is None:
            raise MalformedInput(FieldError("NAME", "is not an asset name (asset:<64 lower-case hex digits>.<ext>)"))
        if not self._store.present([name]):
            raise NotFound(FieldError("NAME", f"no asset named {name.reference}"))
        used = self.references(name)
        if used and not force:
            where = ", ".join(f"{r.slug} v{r.version}" for r in used)
            raise InvalidInput(
                FieldError("NAME", f"is used by published definitions ({where}); --force removes it all the same")
            )
        if not self._store.remove(name):  # removed by another process meanwhile
            raise NotFound(FieldError("NAME", f"no asset named {name.reference}"))
        return used
