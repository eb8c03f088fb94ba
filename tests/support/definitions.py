"""Loading the shipped sample definition for tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from zeroparty.domain.experience.model import Experience

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "examples" / "skin-quiz.yaml"


def sample_data() -> dict[str, Any]:
    data = yaml.safe_load(SAMPLE.read_text())
    assert isinstance(data, dict)
    return data


def sample() -> Experience:
    return Experience.model_validate(sample_data())
