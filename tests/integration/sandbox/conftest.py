from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.server import serve
from zeroparty.adapters.db.engine import create_engine
from zeroparty.sandbox import ALL_PERMISSIONS, SandboxConfig, create_sandbox_app

KEY = "sbx-test-key"
AUTH = {"Authorization": f"Bearer {KEY}"}
EXPORT_ONLY_KEY = "sbx-export-only"
NOW = "2026-01-02T03:04:05Z"
GROUP = "9b1f3c1e-6f0e-4a53-9d1a-2b7c8e1d0f55"


class FakeClock:
    """Seconds since the epoch, moved by the test."""

    def __init__(self, start: float | None = None) -> None:
        self.now = time.time() if start is None else start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def log_in(client: httpx.Client, key: str = KEY) -> None:
    """Sign `client` (base_url: the sandbox) in to the profile browser through its login form."""
    r = client.post("/_sandbox/ui/login", data={"key": key})
    assert r.status_code == 303 and r.headers["location"].endswith("/_sandbox/ui/"), r.text


@dataclass
class Sandbox:
    base: str
    client: httpx.Client  # anonymous: Braze's paths get the key per call (`post`)
    api: httpx.Client  # the control API, with the key: base_url is `base`
    browser: httpx.Client  # the profile browser, signed in: base_url is `base`

    def post(self, path: str, body: Any, key: str | None = KEY, **headers: str) -> httpx.Response:
        h = {"Authorization": f"Bearer {key}"} if key else {}
        return self.client.post(self.base + path, json=body, headers={**h, **headers})

    def track(self, **arrays: Any) -> httpx.Response:
        return self.post("/users/track", arrays)

    def attrs(self, **attributes: Any) -> httpx.Response:
        """/users/track with one attributes object; asserts it was accepted whole."""
        r = self.post("/users/track", {"attributes": [attributes]})
        assert r.status_code == 201 and "errors" not in r.json(), r.text
        return r

    def export(self, **query: Any) -> list[dict[str, Any]]:
        r = self.post("/users/export/ids", query)
        assert r.status_code == 201, r.text
        users: list[dict[str, Any]] = r.json()["users"]
        return users

    def profile(self, **query: Any) -> dict[str, Any]:
        """Everything the sandbox holds for the one user the export query finds."""
        [user] = self.export(**query)
        r = self.api.get(f"/_sandbox/profiles/{user['braze_id']}")
        assert r.status_code == 200, r.text
        found: dict[str, Any] = r.json()
        return found

    def custom(self, external_id: str) -> dict[str, Any]:
        [user] = self.export(external_ids=[external_id])
        custom: dict[str, Any] = user["custom_attributes"]
        return custom

    def log(self, limit: int = 1) -> list[dict[str, Any]]:
        entries: list[dict[str, Any]] = self.api.get("/_sandbox/requests", params={"limit": limit}).json()["requests"]
        return entries

    def stats(self) -> dict[str, Any]:
        stats: dict[str, Any] = self.api.get("/_sandbox/stats").json()
        return stats

    def faults(self, *faults: dict[str, Any]) -> httpx.Response:
        return self.api.post("/_sandbox/faults", json={"faults": list(faults)})

    def reset(self) -> None:
        assert self.api.post("/_sandbox/reset").status_code == 200


def start(tmp_path: Path, clock: FakeClock | None = None, url: str | None = None, **config: Any) -> Iterator[Sandbox]:
    """A sandbox over real HTTP on a fresh SQLite file (or the database at `url`); it creates its
    own schema."""
    engine = create_engine(url or f"sqlite:///{tmp_path / 'sandbox.db'}")
    keys = {KEY: ALL_PERMISSIONS, EXPORT_ONLY_KEY: frozenset({"users.export.ids"})}
    cfg = SandboxConfig(api_keys=keys, **config)
    app = create_sandbox_app(engine, cfg, clock=clock) if clock else create_sandbox_app(engine, cfg)
    with (
        serve(app) as base,
        httpx.Client() as client,
        httpx.Client(base_url=base, headers=AUTH) as api,
        httpx.Client(base_url=base) as browser,
    ):
        log_in(browser)
        yield Sandbox(base, client, api, browser)
    engine.dispose()


@pytest.fixture(scope="module")
def shared_sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    yield from start(tmp_path_factory.mktemp("sandbox"))


@pytest.fixture
def sandbox(shared_sandbox: Sandbox) -> Sandbox:
    """One server per test module, emptied before each test."""
    shared_sandbox.reset()
    return shared_sandbox
