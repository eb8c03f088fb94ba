"""Warnings about consents that go nowhere: a consent key an experience asks for that a destination
maps to no subscription group (`validate`, `import` and `destinations list` print them on stderr;
they do not change the exit code), and the demo's mapping of the sample experiences' keys."""

from __future__ import annotations

import shlex
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from zeroparty.cli.common import err, plain

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from zeroparty.bootstrap import Runtime
    from zeroparty.domain.experience.model import Experience


def _published(engine: Engine, workspace_id: int) -> list[dict[str, Any]]:
    from zeroparty.bootstrap import current_definitions

    return [d.definition for d in current_definitions(engine, workspace_id)]


def warn_unmapped(engine: Engine, experiences: Iterable[Experience] | None, workspace_id: int) -> None:
    """A warning per consent key of `experiences` (default: every published one) that a destination
    (of the workspace) does not map, with the command that maps it."""
    from zeroparty.bootstrap import destination_views
    from zeroparty.domain.consent_groups import unmapped

    destinations = {d.name: d.settings for d in destination_views(engine, workspace_id)}
    if not destinations:
        return
    definitions = (
        _published(engine, workspace_id) if experiences is None else [exp.stored_form() for exp in experiences]
    )
    for gap in unmapped(definitions, destinations):
        name = shlex.quote(gap.destination)
        err.print(
            plain(
                f"warning: experience '{gap.experience}' asks for consent '{gap.consent_key}', which destination "
                f"'{gap.destination}' maps to no subscription group: nothing is sent there when it is given. "
                f"Map it to the group's id in Braze: zeroparty destinations set {name} "
                f"subscription_groups.{gap.consent_key}=UUID"
            ),
            highlight=False,
        )


def map_demo_consents(rt: Runtime, destination: str) -> None:
    """Map every published experience's consent keys at `destination` to a stable made-up group."""
    from zeroparty.domain.consent_groups import with_demo_groups

    current = rt.destinations.settings(destination)
    wanted = with_demo_groups(current, _published(rt.engine, rt.workspace.id))
    if wanted != current:
        rt.destinations.set_settings(destination, wanted)
