"""`zeroparty users …`: the people who sign in to the console, and their role in the CLI's workspace.

A password is never a command-line argument (it would sit in the shell's history and in `ps`): it
comes from ZEROPARTY_USER_PASSWORD or a hidden prompt, asked twice."""

from __future__ import annotations

import os
import secrets
from typing import TYPE_CHECKING, Annotated

import typer

from zeroparty.cli.app import app
from zeroparty.cli.common import err, fail, iso, out, plain, print_json, runtime, settings
from zeroparty.cli.records import Field, say, show
from zeroparty.domain.roles import ROLES, Role
from zeroparty.errors import Conflict, InvalidInput

if TYPE_CHECKING:
    from zeroparty.bootstrap import Runtime
    from zeroparty.services.accounts import AccountService

ACTOR = "cli"
PASSWORD_VARIABLE = "ZEROPARTY_USER_PASSWORD"
DEMO_OWNER = "owner@example.com"

users_cli = typer.Typer(help="People who sign in to the console, and their roles.", no_args_is_help=True)
app.add_typer(users_cli, name="users")

RoleOpt = Annotated[str, typer.Option("--role", help="One of: " + ", ".join(ROLES) + ".")]


def _accounts(rt: Runtime) -> AccountService:
    from zeroparty.bootstrap import account_service

    return account_service(rt.engine)


def _password() -> str:
    given = os.environ.get(PASSWORD_VARIABLE)
    if given is not None:
        return given
    try:
        return str(typer.prompt("Password", hide_input=True, confirmation_prompt=True))
    except typer.Abort:
        fail("password: none given (set ZEROPARTY_USER_PASSWORD or type it at the prompt)")


@users_cli.command("create")
def create(
    email: Annotated[str, typer.Argument(help="The address they sign in with.")],
    role: RoleOpt = Role.VIEWER.value,
) -> None:
    """Create a user in the workspace (password from ZEROPARTY_USER_PASSWORD, else asked twice)."""
    rt = runtime(settings())
    password = _password()
    try:
        user = _accounts(rt).create_user(email, password, rt.workspace.id, role, ACTOR)
    except InvalidInput as exc:
        fail(str(exc))
    out.print(plain(f"Created {user.email} ({role.strip().lower()} of {rt.workspace.slug})"), highlight=False)


@users_cli.command("list")
def list_users(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON for machines instead of a table.")] = False,
) -> None:
    """The workspace's members with their role."""
    rt = runtime(settings(), create=False)
    members = _accounts(rt).members(rt.workspace.id)
    if as_json:
        print_json(
            [
                {"email": u.email, "role": r.value, "created_at": iso(u.created_at), "disabled_at": iso(u.disabled_at)}
                for u, r in members
            ]
        )
        return
    if not members:
        say("No users yet: create one with `zeroparty users create EMAIL --role owner`.")
        return
    fields = (Field("email", whole=True), Field("role"), Field("created"), Field("disabled"))
    show(fields, [(u.email, r.value, str(u.created_at)[:19], str(u.disabled_at or "")[:19]) for u, r in members])


@users_cli.command("set-role")
def set_role(email: str, role: Annotated[str, typer.Argument(help="One of: " + ", ".join(ROLES) + ".")]) -> None:
    """Change a member's role (a workspace keeps at least one owner)."""
    rt = runtime(settings(), create=False)
    try:
        _accounts(rt).set_role(email, rt.workspace.id, role, ACTOR)
    except InvalidInput as exc:
        fail(str(exc))
    out.print(plain(f"{email.strip()} is now {role.strip().lower()} of {rt.workspace.slug}"), highlight=False)


@users_cli.command("disable")
def disable(email: str) -> None:
    """Stop a user from signing in; their sessions end now."""
    rt = runtime(settings(), create=False)
    try:
        _accounts(rt).disable(email, ACTOR)
    except InvalidInput as exc:
        fail(str(exc))
    out.print(plain(f"Disabled {email.strip()}"), highlight=False)


@users_cli.command("reset-link")
def reset_link(email: str) -> None:
    """Print a one-time link that sets a new password (base: ZEROPARTY_PUBLIC_URL, else host and port)."""
    from zeroparty.domain.accounts import RESET_LIFETIME  # here: `zeroparty --help` loads no email checks

    s = settings()
    rt = runtime(s, create=False)
    try:
        token = _accounts(rt).issue_reset(email, ACTOR)
    except InvalidInput as exc:
        fail(str(exc))
    # The link alone on stdout, so it can be piped; the advice on stderr.
    print(f"{s.base_url}/admin/reset?token={token}")
    minutes = int(RESET_LIFETIME.total_seconds() // 60)
    err.print(
        plain(f"The link works once, for {minutes} minutes. Send it to {email.strip()} privately."), highlight=False
    )


def ensure_demo_owner(accounts: AccountService, workspace_id: int) -> tuple[str, str]:
    """The demo's owner, with a fresh password each start: (email, password)."""
    password = secrets.token_urlsafe(12)
    try:
        accounts.create_user(DEMO_OWNER, password, workspace_id, Role.OWNER, "demo")
    except Conflict:
        accounts.reset_password(accounts.issue_reset(DEMO_OWNER, "demo"), password)
    return DEMO_OWNER, password
