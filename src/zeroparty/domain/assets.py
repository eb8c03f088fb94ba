"""Image assets: what they are called, what may be stored, and where definitions refer to them.

An asset is named after the SHA-256 of the bytes served, so a name can never come to mean other bytes
and can be cached for good. Definitions write `asset:<64 hex digits>.<extension>`; pages fetch
`/assets/<64 hex digits>.<extension>`. Only lower-case hex and the extensions below are names: one
spelling per asset, so a name compares equal to itself wherever it is written.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

PREFIX = "asset:"
URL_PATH = "/assets/"

# The kinds an asset may be: extension → media type. JPEG is always `.jpg` (one spelling per name).
MEDIA_TYPES: dict[str, str] = {
    "png": "image/png",
    "jpg": "image/jpeg",
    "webp": "image/webp",
    "svg": "image/svg+xml",
}

MAX_RASTER_BYTES = 5 * 1024 * 1024  # a full-width photo compressed for the web is well under this
MAX_SVG_BYTES = 512 * 1024  # an illustration or logo; larger SVGs are usually embedded photos
MAX_SIDE_PX = 8192  # per side: a larger raster costs the respondent's phone more memory than it shows

_FILE_NAME = r"([0-9a-f]{64})\.(png|jpg|webp|svg)"
_WHOLE_FILE_NAME = re.compile(_FILE_NAME)
_WHOLE_REFERENCE = re.compile(re.escape(PREFIX) + _FILE_NAME)
# Inside longer text (markdown, say): not preceded or followed by what would make a longer name.
_EMBEDDED_REFERENCE = re.compile(r"(?<![0-9A-Za-z_])" + re.escape(PREFIX) + _FILE_NAME + r"(?![0-9A-Za-z_])")


@dataclass(frozen=True, order=True)
class AssetName:
    """One asset's name: the SHA-256 of its bytes and its extension."""

    sha256: str
    extension: str

    @property
    def reference(self) -> str:
        """How definitions name it: `asset:<sha256>.<ext>`."""
        return f"{PREFIX}{self.file_name}"

    @property
    def file_name(self) -> str:
        return f"{self.sha256}.{self.extension}"

    @property
    def url(self) -> str:
        """Where pages fetch it, on the server's own origin."""
        return URL_PATH + self.file_name

    @property
    def media_type(self) -> str:
        return MEDIA_TYPES[self.extension]


@dataclass(frozen=True)
class AssetInfo:
    """What is known of a stored asset, its bytes apart."""

    name: AssetName
    size: int  # bytes as stored and served
    width: int | None  # pixels; None for SVG, which scales
    height: int | None
    original_name: str  # the file it was first added from, for people; not part of the name
    created_at: datetime


@dataclass(frozen=True)
class StoredAsset:
    info: AssetInfo
    data: bytes


@dataclass(frozen=True)
class DefinitionVersion:
    """A published definition version as stored, searched for the assets it names."""

    slug: str
    version: int
    definition: object  # the stored JSON


def name_for(data: bytes, extension: str) -> AssetName:
    return AssetName(hashlib.sha256(data).hexdigest(), extension)


def parse_reference(text: str) -> AssetName | None:
    """The asset `text` names as definitions write it (`asset:<sha256>.<ext>`), else None."""
    match = _WHOLE_REFERENCE.fullmatch(text)
    return AssetName(match.group(1), match.group(2)) if match else None


def parse_file_name(text: str) -> AssetName | None:
    """The asset `text` names as URLs write it (`<sha256>.<ext>`), else None."""
    match = _WHOLE_FILE_NAME.fullmatch(text)
    return AssetName(match.group(1), match.group(2)) if match else None


def parse_name(text: str) -> AssetName | None:
    """Either spelling, as an operator may paste one or the other."""
    return parse_reference(text) or parse_file_name(text)


def is_reference(text: str) -> bool:
    return parse_reference(text) is not None


def references_in(value: object) -> set[AssetName]:
    """Every asset a JSON-like value (a definition) refers to: whole string values, and references
    written inside longer text such as markdown."""
    found: set[AssetName] = set()
    stack: list[object] = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            found.update(AssetName(m.group(1), m.group(2)) for m in _EMBEDDED_REFERENCE.finditer(item))
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list | tuple):
            stack.extend(item)
    return found


def reference_paths(value: object, path: str = "") -> list[tuple[str, AssetName]]:
    """Where a JSON-like value (a definition) refers to assets: (`screens[0].image`-style path, name),
    in document order, so a missing image can be named where the author wrote it."""
    found: list[tuple[str, AssetName]] = []
    if isinstance(value, str):
        found.extend((path, AssetName(m.group(1), m.group(2))) for m in _EMBEDDED_REFERENCE.finditer(value))
    elif isinstance(value, dict):
        for key, item in value.items():
            found.extend(reference_paths(item, f"{path}.{key}" if path else str(key)))
    elif isinstance(value, list | tuple):
        for i, item in enumerate(value):
            found.extend(reference_paths(item, f"{path}[{i}]"))
    return found


def missing(wanted: Iterable[AssetName], stored: Iterable[AssetName]) -> list[AssetName]:
    """The names in `wanted` that are not in `stored`, sorted, each once."""
    return sorted(set(wanted) - set(stored))
