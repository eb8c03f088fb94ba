"""A whole zeroparty server (pages, API, in-process worker, mounted sandbox) on a real port."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa
from starlette.types import ASGIApp

from tests.support.definitions import ROOT, sample
from tests.support.server import serve
from zeroparty.adapters.db.schema import answers, outbox, responses
from zeroparty.adapters.passwords import Argon2Passwords
from zeroparty.bootstrap import Runtime, build_web_app, open_runtime
from zeroparty.config import Settings
from zeroparty.delivery.engine import EngineSettings
from zeroparty.sandbox import SandboxConfig

SANDBOX_KEY = "sandbox-test-key-0001"
SANDBOX_AUTH = {"Authorization": f"Bearer {SANDBOX_KEY}"}


@dataclass
class Stack:
    base: str
    rt: Runtime
    data_dir: Path
    token: str  # an operator API token, for the routes that need one
    app: ASGIApp  # the assembled app, middleware and all

    @staticmethod
    def now() -> datetime:
        return datetime.now(UTC)

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    @property
    def sandbox(self) -> str:
        return self.base + "/braze-sandbox"

    def row_counts(self) -> dict[str, int]:
        with self.rt.engine.connect() as conn:
            return {
                t.name: conn.execute(sa.select(sa.func.count()).select_from(t)).scalar_one()
                for t in (responses, answers, outbox)
            }

    def export_by_email(self, email: str) -> list[dict[str, Any]]:
        return exported(self.sandbox, SANDBOX_KEY, email_address=email)

    def sandbox_stats(self) -> dict[str, Any]:
        r = httpx.get(self.sandbox + "/_sandbox/stats", headers=SANDBOX_AUTH)
        assert r.status_code == 200, r.text
        stats = r.json()
        assert isinstance(stats, dict)
        return stats


def exported(base: str, key: str, **query: Any) -> list[dict[str, Any]]:
    """The profiles a Braze-compatible `base` exports for `query` (`email_address=…` or
    `external_ids=[…]`) with `key`."""
    r = httpx.post(base + "/users/export/ids", json=query, headers={"Authorization": f"Bearer {key}"}, timeout=10)
    assert r.status_code == 201, r.text
    users = r.json()["users"]
    assert isinstance(users, list)
    return users


def settings_for(data_dir: Path, busy_timeout_ms: int = 10_000, body_timeout_s: float = 5.0) -> Settings:
    return Settings(
        data_dir=data_dir,
        sandbox_api_key=SANDBOX_KEY,
        sqlite_busy_timeout_ms=busy_timeout_ms,
        body_timeout_s=body_timeout_s,
        # Short windows keep tests quick; tests about the windows set their own.
        batch_window_ms=5,
        settle_seconds=0.5,
        events_flush_seconds=0.05,
    )


@contextmanager
def running_stack(
    data_dir: Path,
    *,
    worker: bool = True,
    destination: bool = True,
    engine_settings: EngineSettings | None = None,
    busy_timeout_ms: int = 10_000,
    body_timeout_s: float = 5.0,
    sandbox: bool = True,
) -> Iterator[Stack]:
    rt = open_runtime(settings_for(data_dir, busy_timeout_ms, body_timeout_s))
    rt.experiences.publish(sample(), datetime.now(UTC))
    sandbox_config = SandboxConfig.single_key(SANDBOX_KEY) if sandbox else None
    app = build_web_app(
        rt,
        worker=worker,
        sandbox=sandbox_config,
        engine_settings=engine_settings,
        password_hasher=Argon2Passwords.for_tests(),  # the suite signs in often; production's cost is tested alone
    )
    with serve(app) as base:
        stack = Stack(base, rt, data_dir, rt.tokens.create("tests", datetime.now(UTC)), app)
        if destination:
            rt.destinations.add_braze("sandbox", stack.sandbox, SANDBOX_KEY, datetime.now(UTC))
        yield stack
    rt.engine.dispose()


def publish_samples(stack: Stack, *names: str) -> None:
    """Publish these definitions of examples/, their pictures stored first, as the demo does."""
    from zeroparty.cli.experiences import load_definition_file

    for picture in sorted((ROOT / "examples" / "images").glob("*")):
        stack.rt.assets.add(picture.read_bytes(), picture.name)
    for name in names:
        exp, problems = load_definition_file(ROOT / "examples" / name)
        assert exp is not None, problems
        stack.rt.experiences.publish(exp, stack.now())
