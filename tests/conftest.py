"""Settings every test shares.

Hypothesis: no per-example deadline (a busy machine must not fail a correct test for being slow).
`HYPOTHESIS_PROFILE=ci` (set by .ci/run) also derandomizes: CI runs the same examples every time,
so a red run names a regression, never bad luck; local runs keep exploring new examples (and keep
the failing ones in .hypothesis/ to try first next time).
"""

from __future__ import annotations

import os

from hypothesis import settings

settings.register_profile("default", deadline=None)
settings.register_profile("ci", deadline=None, derandomize=True, database=None, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))
