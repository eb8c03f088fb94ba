"""Console users and a signed-in HTTP client for them, for tests that drive /admin over HTTP."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx

from tests.support.stack import Stack
from zeroparty.adapters.passwords import Argon2Passwords
from zeroparty.bootstrap import account_service
from zeroparty.domain.workspaces import Workspace
from zeroparty.services.accounts import AccountService

PASSWORD = "correct horse battery staple"
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass(frozen=True)
class People:
    """Users of two workspaces: an owner, an editor and a viewer of the first, an owner of the second."""

    first: Workspace
    second: Workspace
    owner: str
    editor: str
    viewer: str
    other_owner: str


def accounts(stack: Stack) -> AccountService:
    return account_service(stack.rt.engine, hasher=Argon2Passwords.for_tests())


def second_workspace(stack: Stack, slug: str = "other-brand") -> Workspace:
    from zeroparty.adapters.db.workspaces import SqlWorkspaces

    found = SqlWorkspaces(stack.rt.engine).by_slug(slug)
    return found or SqlWorkspaces(stack.rt.engine).create(slug, "Other brand", datetime.now(UTC))


def people(stack: Stack) -> People:
    service = accounts(stack)
    second = second_workspace(stack)
    made = People(
        stack.rt.workspace,
        second,
        "owner@brand.example",
        "editor@brand.example",
        "viewer@brand.example",
        "owner@other.example",
    )
    existing = {u.email for u, _ in service.members(made.first.id)} | {u.email for u, _ in service.members(second.id)}
    for email, ws, role in (
        (made.owner, made.first.id, "owner"),
        (made.editor, made.first.id, "editor"),
        (made.viewer, made.first.id, "viewer"),
        (made.other_owner, second.id, "owner"),
    ):
        if email not in existing:
            service.create_user(email, PASSWORD, ws, role, "tests")
    return made


def csrf_of(page: httpx.Response) -> str:
    found = _CSRF.search(page.text)
    assert found is not None, page.text[:500]
    return found.group(1)


@contextmanager
def signed_in(stack: Stack, email: str, password: str = PASSWORD) -> Iterator[httpx.Client]:
    """An HTTP client holding a console session for `email`."""
    with httpx.Client(base_url=stack.base, follow_redirects=False) as client:
        form = client.get("/admin/login")
        data = {"email": email, "password": password, "csrf_token": csrf_of(form), "next": "/admin"}
        answer = client.post("/admin/login", data=data)
        assert answer.status_code == 303, answer.text
        yield client


def post_form(client: httpx.Client, path: str, data: dict[str, str], csrf_from: str) -> httpx.Response:
    """POST `data` to `path` with the CSRF token of the page at `csrf_from`, as the browser would."""
    token = csrf_of(client.get(csrf_from))
    return client.post(path, data={**data, "csrf_token": token})
