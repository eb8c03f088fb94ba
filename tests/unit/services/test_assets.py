"""The asset service on the in-memory store: what it accepts, what it refuses naming FILE, and
what removing an asset that a published definition uses does."""

from __future__ import annotations

import unicodedata
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.support.images import LOGO_SVG, image_bytes
from zeroparty.adapters.memory.assets import MemoryAssets, MemoryPublished
from zeroparty.domain.assets import (
    MAX_RASTER_BYTES,
    MAX_SVG_BYTES,
    AssetName,
    DefinitionVersion,
    name_for,
    parse_reference,
)
from zeroparty.errors import InvalidInput, MalformedInput, NotFound
from zeroparty.services.assets import AssetService, Reference

NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


def _service(published: MemoryPublished | None = None) -> AssetService:
    return AssetService(MemoryAssets(), published or MemoryPublished(), clock=lambda: NOW)


def _problem(service: AssetService, data: bytes) -> str:
    with pytest.raises(InvalidInput) as caught:
        service.add(data, "upload")
    [error] = caught.value.errors
    assert error.field == "FILE"
    return error.message


def test_an_image_is_stored_under_its_hash_whatever_its_file_is_called() -> None:
    service = _service()
    png = image_bytes("png", 4, 3)
    added = service.add(png, "photo.jpg")
    assert added.created and added.info.name == name_for(png, "png")
    assert (added.info.width, added.info.height, added.info.size) == (4, 3, len(png))
    assert added.info.original_name == "photo.jpg" and added.info.created_at == NOW
    again = service.add(png, "other-name.png")
    assert not again.created and again.info == added.info  # idempotent: the first one is kept
    assert service.get(added.info.name.file_name).data == png
    assert [a.name for a in service.listed()] == [added.info.name]


@given(st.text(max_size=300))
def test_any_file_name_is_kept_as_printable_text_any_database_can_store(file_name: str) -> None:
    label = _service().add(image_bytes("png"), file_name).info.original_name
    label.encode("utf-8")  # no surrogate left: it raises otherwise
    assert len(label) <= 200
    assert not any(unicodedata.category(c) in ("Cc", "Cs") for c in label)
    if file_name.isascii() and file_name.isprintable() and len(file_name) <= 200:
        assert label == file_name


def test_an_svg_is_stored_as_cleaned_and_says_what_was_removed() -> None:
    service = _service()
    hostile = LOGO_SVG.replace(b"<title>", b'<script>alert(1)</script><title onclick="x()">')
    added = service.add(hostile, "logo.svg")
    assert added.info.name.extension == "svg" and (added.info.width, added.info.height) == (None, None)
    assert added.removed == ("1 × <script> element", "1 × onclick event handler on <title>")
    stored = service.get(added.info.name.file_name).data
    assert b"script" not in stored and added.info.name == name_for(stored, "svg")
    assert service.add(hostile, "logo.svg").info.name == added.info.name  # same input, same name


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (b"", "is empty"),
        (b"GIF89a" + b"\x00" * 20, "is not a PNG, JPEG, WebP or SVG image"),
        (b"just text", "is not a PNG, JPEG, WebP or SVG image"),
        (image_bytes("png")[:30], "PNG chunk IHDR runs past the end of the file (truncated)"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * (MAX_RASTER_BYTES), "is larger than 5 MB, the limit for PNG, JPEG and WebP"),
        (b"<svg " + b" " * MAX_SVG_BYTES + b"/>", "is an SVG larger than 512 KB"),
        (b'<!DOCTYPE s [<!ENTITY a "b">]><svg xmlns="http://www.w3.org/2000/svg">&a;</svg>', "declares XML entities"),
        (b"<svg><rect/></svg>", "must be <svg> in the SVG namespace"),
    ],
)
def test_what_is_no_storable_image_is_refused_naming_the_problem(data: bytes, problem: str) -> None:
    service = _service()
    assert problem in _problem(service, data)
    assert service.listed() == []  # nothing stored


def test_exists_answers_the_names_that_are_missing() -> None:
    service = _service()
    stored = service.add(image_bytes("webp"), "a.webp").info.name
    absent = name_for(b"nothing", "png")
    assert service.exists([stored, absent, absent]) == [absent]
    assert service.exists([]) == [] and service.exists([stored]) == []


def test_get_tells_a_malformed_name_from_an_unknown_one() -> None:
    service = _service()
    with pytest.raises(MalformedInput):
        service.get("../../etc/passwd")
    with pytest.raises(MalformedInput):
        service.get(name_for(b"x", "png").reference)  # URLs use the file name spelling
    with pytest.raises(NotFound):
        service.get(name_for(b"x", "png").file_name)
    with pytest.raises(NotFound):  # the right hash with another extension is another name
        service.get(AssetName(service.add(image_bytes("png"), "a").info.name.sha256, "jpg").file_name)


def test_removing_an_asset_a_published_definition_uses_takes_force() -> None:
    published = MemoryPublished()
    service = _service(published)
    name = service.add(image_bytes("jpg"), "hero.jpg").info.name
    published.versions = [
        DefinitionVersion("quiz", 1, {"image": name.reference}),
        DefinitionVersion("quiz", 2, {"x": 1}),
        DefinitionVersion("finder", 3, [name.reference]),
    ]
    with pytest.raises(InvalidInput, match=r"used by published definitions \(finder v3, quiz v1\); --force"):
        service.remove(name.reference)
    assert service.exists([name]) == []
    assert service.remove(name.file_name, force=True) == [Reference("finder", 3), Reference("quiz", 1)]
    assert service.exists([name]) == [name]
    with pytest.raises(NotFound, match="no asset named asset:"):
        service.remove(name.reference)
    with pytest.raises(MalformedInput):
        service.remove("logo.png")


def test_an_unused_asset_is_removed_at_once() -> None:
    service = _service()
    name = service.add(LOGO_SVG, "logo.svg").info.name
    assert service.remove(name.reference) == []
    assert parse_reference(name.reference) == name and service.listed() == []
