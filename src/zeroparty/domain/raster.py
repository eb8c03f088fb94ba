"""Recognising PNG, JPEG and WebP files by their bytes, never their names.

Each reader checks the container's structure as far as the image size, which it returns: a file that
starts like a PNG but whose header does not parse is refused, not stored. Pixel data is not decoded:
browsers decode it, and a server that never decodes an image cannot be attacked through a decoder.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass

from zeroparty.domain.assets import MAX_SIDE_PX


class NotAnImage(ValueError):
    """The bytes are not an image this module reads; the message says why."""


@dataclass(frozen=True)
class RasterInfo:
    extension: str  # png | jpg | webp
    kind: str  # PNG | JPEG | WebP, for people
    width: int
    height: int


PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_PNG_COLOUR_DEPTHS = {0: {1, 2, 4, 8, 16}, 2: {8, 16}, 3: {1, 2, 4, 8}, 4: {8, 16}, 6: {8, 16}}
# Start-of-frame markers: the frame header holds the size (not DHT C4, JPG C8 or DAC CC).
_JPEG_FRAMES = frozenset({0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF})
_JPEG_STANDALONE = frozenset({0x01, *range(0xD0, 0xD8)})  # TEM and RSTn carry no length


def _shown(kind: bytes) -> str:
    """A chunk type for a message: printable whatever its bytes."""
    return kind.decode("latin-1").encode("unicode_escape").decode("ascii")


def sniff_raster(data: bytes) -> RasterInfo | None:
    """The image `data` holds, None when it starts like none of PNG, JPEG or WebP.

    Raises NotAnImage when it starts like one of them but its header does not parse or its size is
    out of bounds."""
    if data.startswith(PNG_SIGNATURE):
        info = _png(data)
    elif data.startswith(b"\xff\xd8\xff"):
        info = _jpeg(data)
    elif data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        info = _webp(data)
    else:
        return None
    if not (1 <= info.width <= MAX_SIDE_PX and 1 <= info.height <= MAX_SIDE_PX):
        raise NotAnImage(f"{info.kind} image of {info.width}×{info.height} px: each side must be 1 to {MAX_SIDE_PX} px")
    return info


def _png(data: bytes) -> RasterInfo:
    """Walks every chunk (length, type, CRC) up to IEND; the size is in IHDR, which comes first."""
    pos = len(PNG_SIGNATURE)
    first = True
    width = height = 0
    while True:
        if pos + 12 > len(data):
            raise NotAnImage("PNG file ends before its IEND chunk (truncated)")
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        shown = _shown(kind)
        body = data[pos + 8 : pos + 8 + length]
        if length > len(data) or len(body) != length or pos + 12 + length > len(data):
            raise NotAnImage(f"PNG chunk {shown} runs past the end of the file (truncated)")
        (crc,) = struct.unpack(">I", data[pos + 8 + length : pos + 12 + length])
        if zlib.crc32(kind + body) != crc:
            raise NotAnImage(f"PNG chunk {shown} has a bad checksum (corrupt)")
        if first:
            if kind != b"IHDR" or length != 13:
                raise NotAnImage("PNG file does not start with its IHDR header")
            width, height, depth, colour = struct.unpack(">IIBB", body[:10])
            if depth not in _PNG_COLOUR_DEPTHS.get(colour, set()):
                raise NotAnImage(f"PNG header has an impossible colour type {colour} / bit depth {depth}")
            first = False
        pos += 12 + length
        if kind == b"IEND":
            return RasterInfo("png", "PNG", width, height)


def _jpeg(data: bytes) -> RasterInfo:
    """Walks the marker segments after SOI up to the first frame header, which holds the size."""
    pos = 2
    while pos < len(data):
        if data[pos] != 0xFF:
            raise NotAnImage(f"JPEG file has no marker where one must be (byte {pos})")
        while pos < len(data) and data[pos] == 0xFF:  # any number of fill bytes may precede a marker
            pos += 1
        if pos >= len(data):
            break
        marker = data[pos]
        pos += 1
        if marker in _JPEG_STANDALONE:
            continue
        if marker in (0xD9, 0xDA):  # EOI, or SOS: the image data begins, with no frame header before
            raise NotAnImage("JPEG file has no frame header before its image data")
        if pos + 2 > len(data):
            break
        (length,) = struct.unpack(">H", data[pos : pos + 2])
        if length < 2 or pos + length > len(data):
            raise NotAnImage("JPEG segment runs past the end of the file (truncated)")
        if marker in _JPEG_FRAMES:
            if length < 8:
                raise NotAnImage("JPEG frame header is too short")
            height, width = struct.unpack(">HH", data[pos + 3 : pos + 7])
            return RasterInfo("jpg", "JPEG", width, height)
        pos += length
    raise NotAnImage("JPEG file ends before its frame header (truncated)")


def _webp(data: bytes) -> RasterInfo:
    """The RIFF container, then the first chunk: VP8X (extended), VP8L (lossless) or VP8 (lossy)."""
    (riff_size,) = struct.unpack("<I", data[4:8])
    if riff_size + 8 > len(data) or riff_size < 4 + 8:
        raise NotAnImage("WebP file is shorter than its RIFF header says (truncated)")
    chunk = _shown(data[12:16])
    size = struct.unpack("<I", data[16:20])[0] if len(data) >= 20 else 0
    body = data[20 : 20 + size]
    if len(body) != size or 20 + size > riff_size + 8:
        raise NotAnImage(f"WebP chunk {chunk} runs past the end of the file (truncated)")
    if chunk == "VP8X" and size >= 10:
        width = 1 + int.from_bytes(body[4:7], "little")
        height = 1 + int.from_bytes(body[7:10], "little")
    elif chunk == "VP8L" and size >= 5 and body[0] == 0x2F:
        bits = int.from_bytes(body[1:5], "little")
        width, height = 1 + (bits & 0x3FFF), 1 + ((bits >> 14) & 0x3FFF)
    elif chunk == "VP8 " and size >= 10 and body[3:6] == b"\x9d\x01\x2a":
        width = int.from_bytes(body[6:8], "little") & 0x3FFF
        height = int.from_bytes(body[8:10], "little") & 0x3FFF
    else:
        raise NotAnImage(f"WebP file has no image header it can be read from (first chunk {chunk})")
    return RasterInfo("webp", "WebP", width, height)
