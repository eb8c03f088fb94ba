from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.server import serve
from zeroparty.adapters.db import migrate
from zeroparty.adapters.db.engine import create_engine
from zeroparty.sandbox import SandboxConfig, create_sandbox_app

KEY = "sbx-test-key"
EXPORT_ONLY_KEY = "sbx-export-only"


@dataclass
class Sandbox:
    base: str
    client: httpx.Client

    def post(self, path: str, body: Any, key: str | None = KEY, **headers: str) -> httpx.Response:
        h = {"Authorization": f"Bearer {key}"} if key else {}
        return self.client.post(self.base + path, json=body, headers={**h, **headers})

    def export(self, **query: Any) -> list[dict[str, Any]]:
        r = self.post("/users/export/ids", query)
        assert r.status_code == 201, r.text
        users: list[dict[str, Any]] = r.json()["users"]
        return users


def start(tmp_path: Path, **config: Any) -> Iterator[Sandbox]:
    engine = create_engine(f"sqlite:///{tmp_path / 'sandbox.db'}")
    migrate.upgrade(engine)
    keys = {KEY: SandboxConfig.single_key(KEY).api_keys[KEY], EXPORT_ONLY_KEY: frozenset({"users.export.ids"})}
    app = create_sandbox_app(engine, SandboxConfig(api_keys=keys, **config))
    with serve(app) as base, httpx.Client() as client:
        yield Sandbox(base, client)
    engine.dispose()


@pytest.fixture
def sandbox(tmp_path: Path) -> Iterator[Sandbox]:
    yield from start(tmp_path)
