"""`GET /readyz`: whether this server can take writes now (adapters/db/readiness.py says why not).
`GET /healthz` stays a liveness probe: the process answers, whatever the database does.

A probe never waits past `timeout_s` (a database that does not answer is `unreachable`), and probes
arriving while one runs share its result, so a load balancer polling hard costs one check at a time.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from fastapi import FastAPI
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from zeroparty.services.read_ports import Readiness

TIMEOUT_S = 3.0
RETRY_AFTER_S = 5


class ReadinessProbe:
    def __init__(self, check: Callable[[], Readiness], timeout_s: float = TIMEOUT_S) -> None:
        self._check = check
        self._timeout_s = timeout_s
        self._running: asyncio.Future[Readiness] | None = None

    async def __call__(self) -> Readiness:
        if self._running is None or self._running.done():
            self._running = asyncio.ensure_future(run_in_threadpool(self._check))
        try:
            # shield: one caller's timeout must not cancel the check the others are waiting on.
            return await asyncio.wait_for(asyncio.shield(self._running), self._timeout_s)
        except TimeoutError:
            return Readiness("unreachable", f"the database did not answer within {self._timeout_s:g} s")


def install(app: FastAPI, probe: ReadinessProbe) -> None:
    @app.get("/readyz", include_in_schema=False)
    async def readyz() -> JSONResponse:
        found = await probe()
        headers = {"Cache-Control": "no-store"}
        if not found.ready:
            headers["Retry-After"] = str(RETRY_AFTER_S)
        return JSONResponse(
            {"status": found.status, "detail": found.detail}, status_code=200 if found.ready else 503, headers=headers
        )
