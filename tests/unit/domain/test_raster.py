"""Recognising PNG, JPEG and WebP by their bytes: the size read from the header, whatever the file is
called, and a file that starts like an image but does not parse refused with the reason."""

from __future__ import annotations

import struct
import zlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.support.images import animated_webp, image_bytes
from zeroparty.domain.assets import MAX_SIDE_PX
from zeroparty.domain.raster import PNG_SIGNATURE, NotAnImage, RasterInfo, sniff_raster


def _png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def _png_header_only(width: int, height: int, depth: int = 8, colour: int = 2) -> bytes:
    ihdr = struct.pack(">IIBBBBB", width, height, depth, colour, 0, 0, 0)
    return PNG_SIGNATURE + _png_chunk(b"IHDR", ihdr) + _png_chunk(b"IEND", b"")


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (image_bytes("png", 7, 5), RasterInfo("png", "PNG", 7, 5)),
        (image_bytes("jpg", 9, 4), RasterInfo("jpg", "JPEG", 9, 4)),
        (image_bytes("jpg", 9, 4, progressive=True), RasterInfo("jpg", "JPEG", 9, 4)),
        (image_bytes("webp", 6, 3), RasterInfo("webp", "WebP", 6, 3)),
        (image_bytes("webp", 6, 3, lossless=True), RasterInfo("webp", "WebP", 6, 3)),
        (animated_webp(4, 3), RasterInfo("webp", "WebP", 4, 3)),
    ],
    ids=["png", "jpeg", "progressive-jpeg", "webp-lossy", "webp-lossless", "webp-extended"],
)
def test_each_format_is_recognised_with_its_size(data: bytes, expected: RasterInfo) -> None:
    assert sniff_raster(data) == expected


@pytest.mark.parametrize(
    "data",
    [b"", b"GIF89a\x01\x00\x01\x00", b"<svg/>", b"%PDF-1.7", b"hello", b"RIFF\x00\x00\x00\x00WAVE"],
)
def test_what_starts_like_none_of_them_is_not_a_raster(data: bytes) -> None:
    assert sniff_raster(data) is None


def _flip(data: bytes, at: int) -> bytes:
    return data[:at] + bytes([data[at] ^ 0xFF]) + data[at + 1 :]


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (image_bytes("png")[:40], "truncated"),
        (_flip(image_bytes("png"), 20), "bad checksum"),
        (PNG_SIGNATURE + _png_chunk(b"IDAT", b"x") + _png_chunk(b"IEND", b""), "does not start with its IHDR"),
        (_png_header_only(3, 3, depth=3), "impossible colour type 2 / bit depth 3"),
        (_png_header_only(0, 3), "each side must be 1 to"),
        (_png_header_only(MAX_SIDE_PX + 1, 3), f"PNG image of {MAX_SIDE_PX + 1}×3 px"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00", "truncated"),
        (b"\xff\xd8\xff\xda\x00\x02", "no frame header before its image data"),
        (b"\xff\xd8\xff\xe0\x00\x01", "truncated"),
        (b"\xff\xd8\xff\xc0\x00\x04\x08\x00", "frame header is too short"),
        (b"\xff\xd8\xffx", "truncated"),
        (b"\xff\xd8\xff\xe0\x00\x04ab\x00", "no marker where one must be"),
        (image_bytes("webp")[:30], "truncated"),
        (b"RIFF\x10\x00\x00\x00WEBPABCD\x04\x00\x00\x00abcd", "no image header it can be read from"),
    ],
)
def test_what_starts_like_an_image_but_does_not_parse_is_refused_with_the_reason(data: bytes, reason: str) -> None:
    with pytest.raises(NotAnImage, match=reason):
        sniff_raster(data)


@given(
    extension=st.sampled_from(["png", "jpg", "webp"]),
    width=st.integers(1, 64),
    height=st.integers(1, 64),
)
def test_the_size_read_is_the_size_the_image_was_made_with(extension: str, width: int, height: int) -> None:
    info = sniff_raster(image_bytes(extension, width, height))
    assert info is not None and (info.extension, info.width, info.height) == (extension, width, height)


@given(st.binary(max_size=200), st.sampled_from([b"", PNG_SIGNATURE, b"\xff\xd8\xff", b"RIFF\x10\x00\x00\x00WEBP"]))
def test_any_bytes_are_recognised_refused_or_passed_over_and_nothing_else(tail: bytes, head: bytes) -> None:
    try:
        info = sniff_raster(head + tail)
    except NotAnImage:
        return
    assert info is None or 1 <= min(info.width, info.height) <= max(info.width, info.height) <= MAX_SIDE_PX


@given(st.sampled_from(["png", "jpg", "webp"]), st.data())
def test_a_truncated_image_is_refused_never_misread(extension: str, data: st.DataObject) -> None:
    whole = image_bytes(extension, 5, 4)
    cut = data.draw(st.integers(1, len(whole) - 1))
    try:
        info = sniff_raster(whole[:cut])
    except NotAnImage:
        return
    if info is None:  # cut inside the signature: no longer recognisable as that format at all
        assert cut < {"png": 8, "jpg": 3, "webp": 12}[extension]
        return
    # A JPEG's header comes long before its end: what is read of it is still the image's size.
    assert extension == "jpg" and (info.width, info.height) == (5, 4)
