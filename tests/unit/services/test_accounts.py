"""Console users through the accounts service, on the in-memory twins and a cheap hasher: what a
person signing in, an owner managing members and the reset link's user each see."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial

import pytest

from zeroparty.adapters.memory.accounts import MemoryAccounts
from zeroparty.adapters.memory.audit import MemoryAuditLog
from zeroparty.adapters.passwords import Argon2Passwords
from zeroparty.domain.accounts import RESET_LIFETIME, WRONG_CREDENTIALS, reset_digest, user_principal
from zeroparty.domain.login_limits import LoginLimiter, LoginPolicy
from zeroparty.domain.operator_tokens import Session
from zeroparty.domain.roles import Role
from zeroparty.domain.workspaces import Workspace
from zeroparty.errors import Conflict, Forbidden, Gone, InvalidInput, NotFound
from zeroparty.services.accounts import AccountService
from zeroparty.services.audit import AuditService

T0 = datetime(2026, 6, 1, 12, tzinfo=UTC)
PASSWORD = "correct horse battery"
WS = 1


@dataclass
class MemorySessions:
    live: dict[str, Session] = field(default_factory=dict)

    def start(self, principal: str, now: datetime) -> str:
        session_id = secrets.token_urlsafe(16)
        self.live[session_id] = Session(principal, now, now + timedelta(hours=12))
        return session_id

    def find(self, session_id: str, now: datetime) -> Session | None:
        found = self.live.get(session_id)
        return found if found is not None and found.expires_at > now else None

    def end(self, session_id: str) -> None:
        self.live.pop(session_id, None)

    def end_all(self, principal: str) -> int:
        ended = [k for k, s in self.live.items() if s.principal == principal]
        for k in ended:
            del self.live[k]
        return len(ended)


class CountingHasher(Argon2Passwords):
    def __init__(self) -> None:
        super().__init__(time_cost=1, memory_kib=8 * 1024, parallelism=1)
        self.verified = 0

    def verify(self, hashed: str, password: str) -> bool:
        self.verified += 1
        return super().verify(hashed, password)


@dataclass
class Rig:
    store: MemoryAccounts
    log: MemoryAuditLog
    sessions: MemorySessions
    hasher: CountingHasher
    service: AccountService
    now: list[datetime]

    def later(self, delta: timedelta) -> None:
        self.now[0] += delta


@pytest.fixture
def rig() -> Rig:
    store, log, sessions, hasher, now = MemoryAccounts(), MemoryAuditLog(), MemorySessions(), CountingHasher(), [T0]
    limiter = LoginLimiter(LoginPolicy(client_burst=3, account_burst=5, window_s=60))
    audit = AuditService(log, lambda: now[0])
    service = AccountService(store, hasher, sessions, limiter, audit, lambda: now[0], monotonic=lambda: 0.0)
    return Rig(store, log, sessions, hasher, service, now)


def _owner(rig: Rig, email: str = "Ada@Example.com") -> None:
    rig.service.create_user(email, PASSWORD, WS, "owner", "cli")


def test_a_user_is_created_with_a_normalised_email_and_a_hash_and_audited(rig: Rig) -> None:
    made = rig.service.create_user("  Ada@EXAMPLE.com ", PASSWORD, WS, "Owner", "cli")
    assert made.email == "ada@example.com" and made.disabled_at is None
    stored = rig.store.user_by_email("ada@example.com")
    assert stored is not None and stored.password_hash.startswith("$argon2id$") and PASSWORD not in stored.password_hash
    assert [(u.email, r) for u, r in rig.service.members(WS)] == [("ada@example.com", Role.OWNER)]
    [entry] = rig.log.entries(WS, 10)
    assert (entry.actor, entry.action, entry.target, entry.detail) == (
        "cli",
        "user.create",
        "ada@example.com",
        {"role": "owner"},
    )
    with pytest.raises(Conflict) as taken:
        rig.service.create_user("ada@example.com", PASSWORD, WS, "viewer", "cli")
    assert taken.value.errors[0].field == "email"


@pytest.mark.parametrize(
    ("email", "password", "role", "field"),
    [
        ("not an email", PASSWORD, "owner", "email"),
        ("ada@example.com", "short", "owner", "password"),
        ("ada@example.com", " " * 20, "owner", "password"),
        ("ada@example.com", "x" * 1025, "owner", "password"),
        ("ada@example.com", "ADA@example.com", "owner", "password"),
        ("ada@example.com", PASSWORD, "admin", "role"),
    ],
)
def test_a_bad_field_is_named_and_nothing_is_stored(rig: Rig, email: str, password: str, role: str, field: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        rig.service.create_user(email, password, WS, role, "cli")
    assert [e.field for e in refused.value.errors] == [field]
    assert rig.service.members(WS) == [] and rig.log.written == []


def test_a_workspace_keeps_an_owner(rig: Rig) -> None:
    _owner(rig)
    rig.service.create_user("bob@example.com", PASSWORD, WS, "viewer", "cli")
    refusals: list[Callable[[], None]] = [
        partial(rig.service.set_role, "ada@example.com", WS, "editor", "cli"),
        partial(rig.service.remove_member, "ada@example.com", WS, "cli"),
    ]
    for refused in refusals:
        with pytest.raises(Conflict) as why:
            refused()
        assert why.value.errors[0].field == "role"
    rig.service.set_role("bob@example.com", WS, "owner", "ada@example.com")
    rig.service.set_role("ada@example.com", WS, "viewer", "bob@example.com")
    rig.service.remove_member("ada@example.com", WS, "bob@example.com")
    assert [(u.email, r) for u, r in rig.service.members(WS)] == [("bob@example.com", Role.OWNER)]
    actions = [(e.actor, e.action, e.target, e.detail) for e in reversed(rig.log.entries(WS, 10))][2:]
    assert actions == [
        ("ada@example.com", "member.role", "bob@example.com", {"role": "owner"}),
        ("bob@example.com", "member.role", "ada@example.com", {"role": "viewer"}),
        ("bob@example.com", "member.remove", "ada@example.com", {}),
    ]


def test_a_user_joins_another_workspace_with_its_own_role(rig: Rig) -> None:
    rig.store.add_workspace(Workspace(2, "brand", "Brand", T0))
    _owner(rig)
    rig.service.add_member("ada@example.com", 2, "viewer", "cli")
    with pytest.raises(Conflict):
        rig.service.add_member("ada@example.com", 2, "editor", "cli")
    with pytest.raises(NotFound):
        rig.service.add_member("nobody@example.com", 2, "editor", "cli")
    user = rig.store.user_by_email("ada@example.com")
    assert user is not None
    assert [(m.workspace.slug, m.role) for m in rig.service.memberships(user.view.id)] == [
        ("brand", Role.VIEWER),
        ("default", Role.OWNER),
    ]


def test_signing_in_gives_a_session_that_ends_at_logout(rig: Rig) -> None:
    _owner(rig)
    result = asyncio.run(rig.service.sign_in("ADA@example.com", PASSWORD, "10.0.0.1"))
    assert result.user is not None and result.user.email == "ada@example.com" and result.problem == ""
    session = rig.service.start_session(result.user)
    assert rig.service.user_for_session(session) == result.user
    rig.service.end_session(session)
    assert rig.service.user_for_session(session) is None
    assert rig.service.user_for_session("made-up") is None


def test_unknown_email_wrong_password_and_disabled_user_get_one_answer_after_one_hash_check(rig: Rig) -> None:
    _owner(rig)
    rig.service.create_user("bob@example.com", PASSWORD, WS, "viewer", "cli")
    rig.service.disable("bob@example.com", "cli")
    tries = [("nobody@example.com", PASSWORD), ("ada@example.com", "wrong password!"), ("bob@example.com", PASSWORD)]
    for n, (email, password) in enumerate(tries):
        before = rig.hasher.verified
        result = asyncio.run(rig.service.sign_in(email, password, f"10.0.0.{n}"))
        assert (result.user, result.problem, result.retry_after_s) == (None, WRONG_CREDENTIALS, 0)
        assert rig.hasher.verified == before + 1  # the same work, so timing does not tell them apart


def test_failed_sign_ins_are_limited_per_client(rig: Rig) -> None:
    _owner(rig)
    for _ in range(3):
        assert asyncio.run(rig.service.sign_in("ada@example.com", "wrong password!", "10.0.0.9")).retry_after_s == 0
    refused = asyncio.run(rig.service.sign_in("ada@example.com", PASSWORD, "10.0.0.9"))
    assert refused.user is None and refused.retry_after_s > 0 and "too many" in refused.problem
    # The account's owner, from another address with a clean record, still signs in.
    assert asyncio.run(rig.service.sign_in("ada@example.com", PASSWORD, "10.0.0.10")).user is not None


def test_a_weaker_hash_is_replaced_at_the_next_sign_in(rig: Rig) -> None:
    _owner(rig)
    user = rig.store.user_by_email("ada@example.com")
    assert user is not None
    weak = Argon2Passwords(time_cost=1, memory_kib=1024, parallelism=1).hash(PASSWORD)
    rig.store.set_password(user.view.id, weak, T0)
    assert asyncio.run(rig.service.sign_in("ada@example.com", PASSWORD, "10.0.0.1")).user is not None
    again = rig.store.user_by_email("ada@example.com")
    assert again is not None and again.password_hash != weak and not rig.hasher.needs_rehash(again.password_hash)
    assert again.view.password_changed_at == T0


def test_disabling_a_user_ends_their_sessions(rig: Rig) -> None:
    _owner(rig)
    rig.service.create_user("bob@example.com", PASSWORD, WS, "editor", "cli")
    bob = rig.store.user_by_email("bob@example.com")
    assert bob is not None
    session = rig.service.start_session(bob.view)
    rig.service.disable("bob@example.com", "ada@example.com")
    assert rig.service.user_for_session(session) is None
    assert not any(s.principal == user_principal(bob.view.id) for s in rig.sessions.live.values())
    [entry] = rig.log.entries(None, 10)
    assert (entry.actor, entry.action, entry.target) == ("ada@example.com", "user.disable", "bob@example.com")
    # A session that outlived the user's disabling (a session store restored from a backup) admits no one.
    ada = rig.store.user_by_email("ada@example.com")
    assert ada is not None
    kept = rig.service.start_session(ada.view)
    rig.store.disable(ada.view.id, T0)
    assert kept in rig.sessions.live and rig.service.user_for_session(kept) is None


def test_a_reset_link_sets_a_new_password_once_and_ends_every_session(rig: Rig) -> None:
    _owner(rig)
    ada = rig.store.user_by_email("ada@example.com")
    assert ada is not None
    session = rig.service.start_session(ada.view)
    token = rig.service.issue_reset("ada@example.com", "cli")
    assert token.startswith("zpr_") and len(token) == 4 + 43
    assert rig.store.reset_user(reset_digest(token), T0) == ada.view.id  # kept as a digest only
    with pytest.raises(InvalidInput) as weak:
        rig.service.reset_password(token, "short")
    assert weak.value.errors[0].field == "password"
    rig.later(timedelta(minutes=10))
    changed = rig.service.reset_password(token, "a brand new passphrase")
    assert changed.password_changed_at == T0 + timedelta(minutes=10)
    assert rig.service.user_for_session(session) is None
    assert asyncio.run(rig.service.sign_in("ada@example.com", PASSWORD, "10.0.0.1")).user is None
    assert asyncio.run(rig.service.sign_in("ada@example.com", "a brand new passphrase", "10.0.0.2")).user is not None
    with pytest.raises(Gone) as used:
        rig.service.reset_password(token, "yet another passphrase")
    assert used.value.errors[0].field == "token"
    assert [e.action for e in rig.log.entries(None, 10)] == ["user.password_reset", "user.reset_link"]


def test_an_unknown_or_expired_reset_link_is_refused_alike(rig: Rig) -> None:
    _owner(rig)
    with pytest.raises(NotFound) as unknown_user:
        rig.service.issue_reset("nobody@example.com", "cli")
    assert unknown_user.value.errors[0].field == "email"
    token = rig.service.issue_reset("ada@example.com", "cli")
    rig.later(RESET_LIFETIME)
    messages = []
    for attempt in (token, "zpr_made-up"):
        with pytest.raises(Gone) as refused:
            rig.service.reset_password(attempt, "a brand new passphrase")
        messages.append(str(refused.value))
    assert messages[0] == messages[1] and "token" in messages[0]
    assert asyncio.run(rig.service.sign_in("ada@example.com", PASSWORD, "10.0.0.1")).user is not None


def test_changing_ones_password_needs_the_current_one_and_ends_every_session(rig: Rig) -> None:
    _owner(rig)
    ada = rig.store.user_by_email("ada@example.com")
    assert ada is not None
    session = rig.service.start_session(ada.view)
    new = "another long passphrase"
    with pytest.raises(InvalidInput) as wrong:
        rig.service.change_password(ada.view.id, "not the password", new)
    assert wrong.value.errors[0].field == "current" and rig.service.user_for_session(session) is not None
    with pytest.raises(InvalidInput) as short:
        rig.service.change_password(ada.view.id, PASSWORD, "short")
    assert short.value.errors[0].field == "password"
    rig.later(timedelta(minutes=1))
    changed = rig.service.change_password(ada.view.id, PASSWORD, new)
    assert changed.password_changed_at == T0 + timedelta(minutes=1)
    assert rig.service.user_for_session(session) is None
    assert asyncio.run(rig.service.sign_in("ada@example.com", new, "10.0.0.1")).user is not None
    assert asyncio.run(rig.service.sign_in("ada@example.com", PASSWORD, "10.0.0.2")).user is None
    [entry] = rig.log.entries(None, 10)
    assert (entry.actor, entry.action, entry.target) == ("ada@example.com", "user.password_change", "ada@example.com")


def test_an_owner_gives_a_reset_link_only_to_someone_all_of_whose_workspaces_they_own(rig: Rig) -> None:
    rig.store.add_workspace(Workspace(2, "brand", "Brand", T0))
    _owner(rig)  # ada owns the default workspace only
    rig.service.create_user("bo@example.com", PASSWORD, WS, "editor", "cli")
    rig.service.create_user("cy@example.com", PASSWORD, WS, "viewer", "cli")
    rig.service.add_member("cy@example.com", 2, "owner", "cli")  # cy also owns another brand
    ada = rig.store.user_by_email("ada@example.com")
    assert ada is not None
    assert rig.service.issue_reset_by("bo@example.com", ada.view.id, "ada@example.com").startswith("zpr_")
    with pytest.raises(Forbidden) as refused:
        rig.service.issue_reset_by("cy@example.com", ada.view.id, "ada@example.com")
    assert refused.value.errors[0].field == "email"
