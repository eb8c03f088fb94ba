"""GET /assets/{asset}: the images definitions name, from our own origin, cached for good.

A name is the SHA-256 of the bytes it serves, so the answer can never change: a year's `immutable`
caching, the hash as a strong ETag, and 304 to a browser that already holds it. SVGs carry a policy
of their own that forbids script and any load, should one be opened as a page rather than an image.
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.concurrency import run_in_threadpool

from zeroparty.adapters.http.context import AppContext

CACHE_FOREVER = "public, max-age=31536000, immutable"
SVG_POLICY = "default-src 'none'; style-src 'unsafe-inline'"


def etag_matches(if_none_match: str | None, etag: str) -> bool:
    """Whether an If-None-Match header names `etag` (weak comparison, RFC 9110 13.1.2), or is `*`."""
    if not if_none_match:
        return False
    tags = [tag.strip().removeprefix("W/") for tag in if_none_match.split(",")]
    return "*" in tags or etag in tags


def router(ctx: AppContext) -> APIRouter:
    r = APIRouter()

    @r.get("/assets/{asset}", include_in_schema=False)
    async def asset(asset: str, request: Request) -> Response:
        # An unknown name is 404 and a malformed one 400 (MalformedInput), each with a JSON body.
        stored = await run_in_threadpool(ctx.assets.get, asset)
        name = stored.info.name
        etag = f'"{name.sha256}"'
        headers = {"ETag": etag, "Cache-Control": CACHE_FOREVER, "X-Content-Type-Options": "nosniff"}
        if name.extension == "svg":
            headers["Content-Security-Policy"] = SVG_POLICY
        if etag_matches(request.headers.get("if-none-match"), etag):
            return Response(status_code=304, headers=headers)
        return Response(stored.data, media_type=name.media_type, headers=headers)

    return r
