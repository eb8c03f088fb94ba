"""What the console's pages are handed by the composition root."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from fastapi import FastAPI
from fastapi.templating import Jinja2Templates

from zeroparty.adapters.http.console import (
    account,
    audit,
    deliveries,
    destination_groups,
    destinations,
    entry,
    experiences,
    members,
    overview,
    tokens,
)
from zeroparty.adapters.http.console.gate import ConsoleGate
from zeroparty.adapters.http.console.services import ServicesFor
from zeroparty.adapters.http.console.shell import install_templates
from zeroparty.services.console_reads import WorkspaceOverview


@dataclass(frozen=True)
class ConsoleContext:
    gate: ConsoleGate
    overview: WorkspaceOverview
    services_for: ServicesFor
    clock: Callable[[], datetime]


def install(app: FastAPI, console: ConsoleContext, templates: Jinja2Templates) -> None:
    install_templates(templates)
    app.include_router(entry.router(console.gate))
    app.include_router(overview.router(console.gate, console.overview, console.clock))
    app.include_router(destinations.router(console.gate, console.services_for))
    app.include_router(destination_groups.router(console.gate, console.services_for))
    app.include_router(deliveries.router(console.gate, console.services_for, console.overview, console.clock))

    # ANCHOR EXPERIENCES
    app.include_router(experiences.router(console.gate, console.services_for))

    from zeroparty.adapters.http.console import people  # PEOPLE

    app.include_router(people.router(console.gate, console.services_for))

    from zeroparty.adapters.http.console import mapping, testsend  # ANCHOR MAPPING

    app.include_router(mapping.router(console.gate, console.services_for))  # ANCHOR MAPPING
    app.include_router(testsend.router(console.gate, console.services_for))  # ANCHOR MAPPING

    # ANCHOR USERS
    app.include_router(members.router(console.gate, console.services_for))
    app.include_router(tokens.router(console.gate, console.services_for))
    app.include_router(audit.router(console.gate, console.services_for))
    app.include_router(account.router(console.gate))
