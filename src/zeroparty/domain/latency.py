"""Delivery latency percentiles for `zeroparty deliveries`. Pure."""

from __future__ import annotations

import math
from collections.abc import Sequence

# Latency is measured over each destination's most recently delivered rows, this many at most:
# recent enough to show today's behaviour, many enough for a stable p99.
LATENCY_SAMPLE = 1000


def percentile(values: Sequence[float], q: float) -> float | None:
    """The nearest-rank `q`th percentile (0 < q ≤ 100) of `values`; None when there are none."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]
