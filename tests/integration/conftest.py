from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.stack import Stack, running_stack


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[Stack]:
    with running_stack(tmp_path) as s:
        yield s


@pytest.fixture
def held_stack(tmp_path: Path) -> Iterator[Stack]:
    """A server whose delivery is held: no worker runs until a test starts one."""
    with running_stack(tmp_path, worker=False) as s:
        yield s
