"""Real image files for tests, made by Pillow (a test dependency only: the server never decodes images)."""

from __future__ import annotations

import io

from PIL import Image

FORMATS = {"png": "PNG", "jpg": "JPEG", "webp": "WEBP"}


def image_bytes(extension: str, width: int = 3, height: int = 2, **options: object) -> bytes:
    """A `width`×`height` image in the format of `extension` (png, jpg, webp); `options` go to Pillow
    (`lossless=True` for a VP8L WebP, `progressive=True` for a progressive JPEG…)."""
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (200, 30, 90)).save(buffer, FORMATS[extension], **options)
    return buffer.getvalue()


def animated_webp(width: int = 4, height: int = 3) -> bytes:
    """A two-frame WebP: an extended (VP8X) header."""
    frames = [Image.new("RGB", (width, height), colour) for colour in ((0, 0, 0), (255, 255, 255))]
    buffer = io.BytesIO()
    frames[0].save(buffer, "WEBP", save_all=True, append_images=frames[1:], duration=100)
    return buffer.getvalue()


LOGO_SVG = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n'
    b'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" viewBox="0 0 10 10">'
    b'<defs><linearGradient id="g"><stop offset="0" stop-color="#fff"/></linearGradient></defs>'
    b'<title>Logo &amp; mark</title><circle id="c" cx="5" cy="5" r="4" fill="url(#g)"/>'
    b'<use xlink:href="#c" x="1"/></svg>'
)
