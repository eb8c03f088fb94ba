"""Where a respondent who comes back to a response in progress continues. Pure."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from zeroparty.domain.experience.logic import settled_route
from zeroparty.domain.experience.model import Experience


def previous_screen(path: Sequence[str], screen_id: str) -> str | None:
    """The screen before `screen_id` on the response's route so far (`path`): where "Back" leads."""
    if screen_id in path:
        at = path.index(screen_id)
        return path[at - 1] if at > 0 else None
    return path[-1] if path else None


def resume_screen(exp: Experience, answers: Mapping[str, Any], path: Sequence[str]) -> str:
    """The screen after the last one submitted (`path`, in route order), as the rules route these
    answers; the first screen when none was submitted, the last submitted when the route ends there.
    `answers` holds the hidden values too (under their keys), as a stored response does."""
    screens = {s.id for s in exp.screens}
    done = [s for s in path if s in screens]
    if not done:
        return exp.screens[0].id
    keys = {f.key for f in exp.hidden()}
    inputs = {k: v for k, v in answers.items() if k in keys}
    given = {k: v for k, v in answers.items() if k not in keys}
    found, _read = settled_route(exp, given, inputs, until=done[-1])
    return found.next or done[-1]
