"""GET /assets/{asset} over real HTTP: the stored bytes with their type, cached for good under their
hash, revalidated with a 304, SVG under a policy that forbids script; 400 for what is no name and
404 for an unknown one; open to anyone, as the pages that show them are."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.support.images import LOGO_SVG, image_bytes
from tests.support.stack import Stack, running_stack
from zeroparty.adapters.http.edge import content_security_policy
from zeroparty.domain.assets import AssetName, name_for

FOREVER = "public, max-age=31536000, immutable"


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    with running_stack(tmp_path_factory.mktemp("assets"), worker=False, destination=False, sandbox=False) as s:
        yield s


def _add(stack: Stack, data: bytes) -> AssetName:
    return stack.rt.assets.add(data, "upload").info.name


@pytest.mark.parametrize(
    ("data", "media_type"),
    [
        (image_bytes("png"), "image/png"),
        (image_bytes("jpg"), "image/jpeg"),
        (image_bytes("webp"), "image/webp"),
    ],
)
def test_a_raster_is_served_as_stored_with_its_type_and_cached_for_good(
    stack: Stack, data: bytes, media_type: str
) -> None:
    name = _add(stack, data)
    r = httpx.get(stack.base + name.url)
    assert r.status_code == 200 and r.content == data
    assert r.headers["content-type"] == media_type and r.headers["content-length"] == str(len(data))
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["cache-control"] == FOREVER and r.headers["etag"] == f'"{name.sha256}"'
    assert r.headers["content-security-policy"].startswith(content_security_policy("'self'")[:30])


def test_an_svg_is_served_under_a_policy_that_forbids_script(stack: Stack) -> None:
    name = _add(stack, LOGO_SVG.replace(b"<title>", b"<script>alert(1)</script><title>"))
    r = httpx.get(stack.base + name.url)
    assert r.status_code == 200 and r.headers["content-type"] == "image/svg+xml"
    assert r.headers["content-security-policy"] == "default-src 'none'; style-src 'unsafe-inline'"
    assert r.headers["x-content-type-options"] == "nosniff" and r.headers["cache-control"] == FOREVER
    assert b"<circle" in r.content and b"script" not in r.content
    assert name == name_for(r.content, "svg")  # the name is the hash of what is served


def test_a_browser_holding_the_asset_gets_304_without_the_bytes(stack: Stack) -> None:
    name = _add(stack, image_bytes("png", 5, 5))
    etag = f'"{name.sha256}"'
    for held in (etag, f"W/{etag}", f'"other", {etag}', "*"):
        r = httpx.get(stack.base + name.url, headers={"If-None-Match": held})
        assert r.status_code == 304 and r.content == b"", held
        assert r.headers["etag"] == etag and r.headers["cache-control"] == FOREVER
    changed = httpx.get(stack.base + name.url, headers={"If-None-Match": '"something-else"'})
    assert changed.status_code == 200 and changed.content == image_bytes("png", 5, 5)


def test_head_answers_the_headers_alone(stack: Stack) -> None:
    name = _add(stack, LOGO_SVG)
    get, head = httpx.get(stack.base + name.url), httpx.head(stack.base + name.url)
    assert head.status_code == 200 and head.content == b""
    for header in ("content-type", "content-length", "etag", "cache-control", "content-security-policy"):
        assert head.headers[header] == get.headers[header]


def test_an_unknown_name_is_404_and_what_is_no_name_is_400(stack: Stack) -> None:
    stored = _add(stack, image_bytes("jpg", 2, 2))
    absent = name_for(b"never stored", "png")
    for path, status in [
        (absent.url, 404),
        (AssetName(stored.sha256, "png").url, 404),  # right hash, wrong extension
        ("/assets/logo.png", 400),
        (f"/assets/{stored.sha256.upper()}.jpg", 400),
        (f"/assets/{stored.reference}", 400),
        (f"/assets/{stored.sha256}.jpeg", 400),
        (f"/assets/{stored.sha256}.jpg%00", 400),
        ("/assets/..%2f..%2fetc%2fpasswd", 404),  # a slash: no asset route at all
    ]:
        r = httpx.get(stack.base + path)
        assert r.status_code == status, (path, r.status_code, r.text)
        assert r.headers["content-type"] == "application/json" and "cache-control" not in r.headers


def test_assets_need_no_credential_and_take_no_writes(stack: Stack) -> None:
    name = _add(stack, image_bytes("webp", 3, 3))
    assert httpx.get(stack.base + name.url, headers={"Authorization": "Bearer zp_wrong"}).status_code == 200
    assert httpx.post(stack.base + name.url).status_code == 405
