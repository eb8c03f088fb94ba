from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.support.delivery_rig import Rig


@pytest.fixture
def make_rig() -> Iterator[Callable[..., Rig]]:
    """Rigs with their own destination or engine settings; each closed after the test."""
    made: list[Rig] = []

    def make(**kwargs: Any) -> Rig:
        made.append(Rig(**kwargs))
        return made[-1]

    yield make
    for rig in made:
        rig.close()


@pytest.fixture
def rig(make_rig: Callable[..., Rig]) -> Rig:
    return make_rig()
