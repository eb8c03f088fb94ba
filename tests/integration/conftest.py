from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml

from tests.support.databases import database_url
from tests.support.outbox_world import World
from tests.support.stack import Stack, running_stack
from zeroparty.domain.experience.model import Experience

VIP = Experience.model_validate(
    yaml.safe_load((Path(__file__).parents[2] / "examples" / "vip-signup.yaml").read_text())
)


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[Stack]:
    with running_stack(tmp_path) as s:
        yield s


@pytest.fixture
def held_stack(tmp_path: Path) -> Iterator[Stack]:
    """A server whose delivery is held: no worker runs until a test starts one."""
    with running_stack(tmp_path, worker=False) as s:
        yield s


@pytest.fixture(params=["sqlite", "postgresql"])
def world(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[World]:
    with database_url(request.param, tmp_path) as url:
        w = World(url, tmp_path)
        yield w
        w.engine.dispose()


@pytest.fixture
def vip(held_stack: Stack) -> Stack:
    """The held stack with the VIP lead form (examples/vip-signup.yaml) published too."""
    held_stack.rt.experiences.publish(VIP, datetime.now(UTC))
    return held_stack
