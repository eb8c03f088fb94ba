"""Console users: creating them, their roles per workspace, signing in, sessions, reset links and
disabling. Every change is written to the audit log (services/audit.py), with who made it (`actor`).

Signing in is limited per account and per client (domain/login_limits.py), as token sign-ins are,
and answers one message for an unknown email, a wrong password and a disabled user alike, after the
same work: an unknown email is checked against a dummy hash, so timing does not tell which it was.
Hashing is slow on purpose, so it runs in a thread, off the event loop."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from zeroparty.domain.accounts import (
    RESET_LIFETIME,
    WRONG_CREDENTIALS,
    Membership,
    UserView,
    email_problem,
    new_reset_token,
    normalise_email,
    password_problem,
    reset_digest,
    user_id_of,
    user_principal,
)
from zeroparty.domain.emails import InvalidEmail
from zeroparty.domain.login_limits import LoginLimiter, client_key
from zeroparty.domain.roles import ROLE_PROBLEM, Role, parse_role
from zeroparty.errors import Conflict, FieldError, Forbidden, Gone, InvalidInput, NotFound
from zeroparty.services.account_ports import Accounts, PasswordHasher, StoredUser
from zeroparty.services.audit import AuditService
from zeroparty.services.clock import utcnow
from zeroparty.services.read_ports import OperatorSessions

RESET_REFUSED = "this reset link is unknown, used or expired: ask an owner for a new one"
LAST_OWNER = "a workspace keeps at least one owner: make another member owner first"
_DUMMY_PASSWORD = "not anyone's password, only hashed to spend the time"


@dataclass(frozen=True)
class SignInResult:
    user: UserView | None
    problem: str = ""  # shown to the person signing in when `user` is None
    retry_after_s: int = 0  # > 0: refused by the sign-in limits; answer 429 with Retry-After


def _email(raw: str) -> str:
    if problem := email_problem(raw):
        raise InvalidInput(FieldError("email", problem))
    return normalise_email(raw)


def _role(raw: Role | str) -> Role:
    role = parse_role(str(raw))
    if role is None:
        raise InvalidInput(FieldError("role", ROLE_PROBLEM))
    return role


class AccountService:
    def __init__(
        self,
        store: Accounts,
        hasher: PasswordHasher,
        sessions: OperatorSessions,
        limiter: LoginLimiter,
        audit: AuditService,
        clock: Callable[[], datetime] = utcnow,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._store = store
        self._hasher = hasher
        self._sessions = sessions
        self._limiter = limiter
        self._audit = audit
        self._clock = clock
        self._monotonic = monotonic
        self._dummy: str | None = None

    # Users and memberships

    def create_user(self, email: str, password: str, workspace_id: int, role: Role | str, actor: str) -> UserView:
        """A new user, member of the workspace with `role`; Conflict naming `email` when the email
        is taken (then `add_member` gives an existing user another workspace)."""
        address = _email(email)
        given = _role(role)
        if problem := password_problem(password, address):
            raise InvalidInput(FieldError("password", problem))
        if self._store.user_by_email(address) is not None:
            raise Conflict(FieldError("email", "a user with this email exists already: add them with add_member"))
        user = self._store.create_user(address, self._hasher.hash(password), workspace_id, given, self._clock())
        self._audit.record(workspace_id, actor, "user.create", address, {"role": given.value})
        return user

    def add_member(self, email: str, workspace_id: int, role: Role | str, actor: str) -> None:
        user = self._user(email)
        given = _role(role)
        if self._store.role_in(user.view.id, workspace_id) is not None:
            raise Conflict(FieldError("email", "is a member of this workspace already: change the role instead"))
        self._store.set_membership(user.view.id, workspace_id, given, self._clock())
        self._audit.record(workspace_id, actor, "member.add", user.view.email, {"role": given.value})

    def set_role(self, email: str, workspace_id: int, role: Role | str, actor: str) -> None:
        """Change a member's role; Conflict naming `role` when it would leave the workspace without an owner."""
        user = self._member(email, workspace_id)
        given = _role(role)
        if given is not Role.OWNER:
            self._keep_an_owner(user, workspace_id)
        self._store.set_membership(user.view.id, workspace_id, given, self._clock())
        self._audit.record(workspace_id, actor, "member.role", user.view.email, {"role": given.value})

    def remove_member(self, email: str, workspace_id: int, actor: str) -> None:
        user = self._member(email, workspace_id)
        self._keep_an_owner(user, workspace_id)
        self._store.remove_membership(user.view.id, workspace_id)
        self._audit.record(workspace_id, actor, "member.remove", user.view.email, {})

    def members(self, workspace_id: int) -> list[tuple[UserView, Role]]:
        return self._store.members(workspace_id)

    def memberships(self, user_id: int) -> list[Membership]:
        return self._store.memberships(user_id)

    def disable(self, email: str, actor: str) -> None:
        """The user can no longer sign in, and their sessions end now."""
        user = self._user(email)
        self._store.disable(user.view.id, self._clock())
        self._sessions.end_all(user_principal(user.view.id))
        self._audit.record(None, actor, "user.disable", user.view.email, {})

    def _user(self, email: str) -> StoredUser:
        user = self._store.user_by_email(_email(email))
        if user is None:
            raise NotFound(FieldError("email", "no user has this email"))
        return user

    def _member(self, email: str, workspace_id: int) -> StoredUser:
        user = self._user(email)
        if self._store.role_in(user.view.id, workspace_id) is None:
            raise NotFound(FieldError("email", "is not a member of this workspace"))
        return user

    def _keep_an_owner(self, user: StoredUser, workspace_id: int) -> None:
        """Refuse when `user` is the workspace's last active owner and is about to stop being one."""
        is_owner = self._store.role_in(user.view.id, workspace_id) is Role.OWNER
        if is_owner and user.view.disabled_at is None and self._store.active_owners(workspace_id) <= 1:
            raise Conflict(FieldError("role", LAST_OWNER))

    # Signing in and sessions

    async def sign_in(self, email: str, password: str, client_host: str | None) -> SignInResult:
        """Check an email and password typed into the console's form, within the sign-in limits."""
        client = client_key(client_host)
        try:
            address: str | None = normalise_email(email)
        except InvalidEmail:
            address = None
        account = None if address is None else "user:" + address
        decision = self._limiter.admit(client, account, self._monotonic())
        if not decision.allowed:
            return SignInResult(None, decision.refusal("for this account"), decision.retry_after_s)
        user = await asyncio.to_thread(self._check, address, password)
        if user is None:
            self._limiter.failed(account, self._monotonic())
            return SignInResult(None, WRONG_CREDENTIALS)
        self._limiter.succeeded(client)
        return SignInResult(user)

    def _check(self, address: str | None, password: str) -> UserView | None:
        """The user whose password this is, unless disabled (blocking: hashes)."""
        found = self._store.user_by_email(address) if address is not None else None
        if found is None:
            self._hasher.verify(self._dummy_hash(), password)
            return None
        if not self._hasher.verify(found.password_hash, password) or found.view.disabled_at is not None:
            return None
        if self._hasher.needs_rehash(found.password_hash):
            # Same password, the hasher's current parameters; not a password change.
            self._store.set_password(found.view.id, self._hasher.hash(password), found.view.password_changed_at)
        return found.view

    def _dummy_hash(self) -> str:
        if self._dummy is None:
            self._dummy = self._hasher.hash(_DUMMY_PASSWORD)
        return self._dummy

    def start_session(self, user: UserView) -> str:
        """A new server-side session for `user`; returns its id, for the browser's signed cookie
        (blocking, as every method here but `sign_in`: call it off the event loop)."""
        return self._sessions.start(user_principal(user.id), self._clock())

    def user_for_session(self, session_id: str) -> UserView | None:
        """The user signed in with this session: None when it ended or expired, or the user is disabled."""
        session = self._sessions.find(session_id, self._clock())
        user_id = user_id_of(session.principal) if session is not None else None
        found = self._store.user_by_id(user_id) if user_id is not None else None
        return found.view if found is not None and found.view.disabled_at is None else None

    def end_session(self, session_id: str) -> None:
        self._sessions.end(session_id)

    def change_password(self, user_id: int, current: str, new: str) -> UserView:
        """Set a new password, the current one given; every session of the user ends (the console
        starts a fresh one for the browser that asked). InvalidInput naming `current` or `password`."""
        found = self._store.user_by_id(user_id)
        if found is None or found.view.disabled_at is not None:
            raise NotFound(FieldError("user", "no such user"))
        if not self._hasher.verify(found.password_hash, current):
            raise InvalidInput(FieldError("current", "this is not your current password"))
        if problem := password_problem(new, found.view.email):
            raise InvalidInput(FieldError("password", problem))
        if new == current:
            raise InvalidInput(FieldError("password", "is your current password: choose another"))
        self._store.set_password(user_id, self._hasher.hash(new), self._clock())
        self._sessions.end_all(user_principal(user_id))
        self._audit.record(None, found.view.email, "user.password_change", found.view.email, {})
        changed = self._store.user_by_id(user_id)
        assert changed is not None
        return changed.view

    # Reset links

    def issue_reset(self, email: str, actor: str) -> str:
        """A one-time reset token for the user, valid for RESET_LIFETIME; shown once, only its digest kept."""
        user = self._user(email)
        token = new_reset_token()
        now = self._clock()
        self._store.add_reset(reset_digest(token), user.view.id, now, now + RESET_LIFETIME)
        self._audit.record(None, actor, "user.reset_link", user.view.email, {})
        return token

    def issue_reset_by(self, email: str, by_user_id: int, actor: str) -> str:
        """`issue_reset` for a console user: a reset link takes over the whole account, so it is
        given only for someone every one of whose workspaces `by_user_id` owns (Forbidden naming
        `email` otherwise; on the server, `zeroparty users reset-link` can still issue one)."""
        target = self._user(email)
        owned = {m.workspace.id for m in self._store.memberships(by_user_id) if m.role is Role.OWNER}
        theirs = {m.workspace.id for m in self._store.memberships(target.view.id)}
        if not theirs <= owned:
            raise Forbidden(
                FieldError("email", "they also belong to a workspace you do not own: an owner of each of them can")
            )
        return self.issue_reset(email, actor)

    def reset_password(self, token: str, new_password: str) -> UserView:
        """Set a new password through a reset link: once, within its lifetime; every session of the
        user ends. Gone naming `token` for an unknown, used or expired link (one message for all)."""
        digest = reset_digest(token)
        user_id = self._store.reset_user(digest, self._clock())
        user = self._store.user_by_id(user_id) if user_id is not None else None
        if user is None:
            raise Gone(FieldError("token", RESET_REFUSED))
        if problem := password_problem(new_password, user.view.email):
            raise InvalidInput(FieldError("password", problem))
        hashed = self._hasher.hash(new_password)
        now = self._clock()
        if self._store.use_reset(digest, now) != user.view.id:
            raise Gone(FieldError("token", RESET_REFUSED))  # used meanwhile, by a concurrent request
        self._store.set_password(user.view.id, hashed, now)
        self._sessions.end_all(user_principal(user.view.id))
        self._audit.record(None, user.view.email, "user.password_reset", user.view.email, {})
        changed = self._store.user_by_id(user.view.id)
        assert changed is not None
        return changed.view
