"""Sign-in limits per client and per account (a pure state machine; the time is handed in)."""

from __future__ import annotations

import pytest

from zeroparty.domain.login_limits import Decision, LoginLimiter, LoginPolicy, client_key

POLICY = LoginPolicy(client_burst=3, account_burst=5, window_s=60.0, max_tracked=100)


def fail(limiter: LoginLimiter, client: str, account: str | None, now: float) -> Decision:
    decision = limiter.admit(client, account, now)
    if decision.allowed:
        limiter.failed(account, now)
    return decision


def test_a_client_gets_its_burst_of_failures_then_waits_for_one_to_come_back() -> None:
    limiter = LoginLimiter(POLICY)
    assert [fail(limiter, "1.2.3.4", None, 0.0).allowed for _ in range(3)] == [True, True, True]
    refused = limiter.admit("1.2.3.4", None, 0.0)
    assert refused == Decision(False, 20, "client")  # 3 failures per 60 s: one back every 20 s
    assert not limiter.admit("1.2.3.4", None, 19.0).allowed
    assert limiter.admit("1.2.3.4", None, 20.0).allowed
    assert limiter.admit("5.6.7.8", None, 0.0).allowed  # other clients are not concerned


def test_attempts_in_flight_count_before_their_outcome_is_known() -> None:
    limiter = LoginLimiter(POLICY)
    admitted = [limiter.admit("1.2.3.4", None, 0.0).allowed for _ in range(10)]  # all sent at once
    assert admitted == [True] * 3 + [False] * 7


def test_a_success_clears_the_clients_record() -> None:
    limiter = LoginLimiter(POLICY)
    fail(limiter, "1.2.3.4", None, 0.0)
    fail(limiter, "1.2.3.4", None, 0.0)
    assert limiter.admit("1.2.3.4", None, 0.0).allowed
    limiter.succeeded("1.2.3.4")
    assert [fail(limiter, "1.2.3.4", None, 1.0).allowed for _ in range(3)] == [True, True, True]


def test_an_account_guessed_from_many_addresses_slows_down_failing_clients_only() -> None:
    limiter = LoginLimiter(POLICY)
    for n in range(5):  # five addresses, one guess each: the account's allowance is spent
        assert fail(limiter, f"10.0.0.{n}", "sandbox", 0.0).allowed
    second_try = limiter.admit("10.0.0.1", "sandbox", 1.0)
    assert not second_try.allowed and second_try.why == "account"
    assert second_try.retry_after_s == 11  # 5 per 60 s: one back 12 s after the spending, at 1 s
    # A client with a clean record still gets to try (the owner signing in is not locked out) ...
    assert limiter.admit("192.168.1.1", "sandbox", 1.0).allowed
    limiter.succeeded("192.168.1.1")
    # ... and a new guesser gets one try, then waits until its own record is clean again (its one
    # failure comes back in 20 s), the account being further in debt.
    assert fail(limiter, "10.0.0.99", "sandbox", 1.0).allowed
    assert limiter.admit("10.0.0.99", "sandbox", 1.0) == Decision(False, 20, "account")
    assert not limiter.admit("10.0.0.99", "sandbox", 20.9).allowed
    assert limiter.admit("10.0.0.99", "sandbox", 21.0).allowed


def test_others_failures_on_other_accounts_change_nothing() -> None:
    limiter = LoginLimiter(POLICY)
    for n in range(20):
        fail(limiter, f"10.0.0.{n}", "token:aaaa", 0.0)
    fail(limiter, "192.168.1.1", "token:bbbb", 0.0)  # one typo of the owner's own
    assert limiter.admit("192.168.1.1", "token:bbbb", 0.0).allowed


def test_memory_is_bounded_whatever_the_number_of_clients() -> None:
    limiter = LoginLimiter(POLICY)
    for n in range(10_000):
        fail(limiter, f"client-{n}", f"account-{n}", float(n) / 1000)
    assert len(limiter.clients) == 100 and len(limiter.accounts) == 100
    # The most recent records are the ones kept.
    for _ in range(2):
        fail(limiter, "client-9999", None, 10.0)
    assert not limiter.admit("client-9999", None, 10.0).allowed


def test_a_client_whose_failures_have_come_back_is_clean_again() -> None:
    limiter = LoginLimiter(POLICY)
    fail(limiter, "1.2.3.4", None, 0.0)
    for n in range(20):
        fail(limiter, f"10.0.0.{n}", "acct", 0.0)  # the account is spent for minutes
    assert not limiter.admit("1.2.3.4", "acct", 19.0).allowed  # one failure 19 s ago: not clean
    assert limiter.admit("1.2.3.4", "acct", 20.0).allowed  # 20 s: its failure is back, clean


@pytest.mark.parametrize(
    ("host", "key"),
    [
        ("203.0.113.7", "203.0.113.7"),
        ("2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"),
        ("2001:db8:1:2:ffff::1", "2001:db8:1:2::/64"),  # the same subscriber's /64
        ("::ffff:203.0.113.7", "203.0.113.7"),
        (None, "unknown"),
        ("", "unknown"),
        ("testclient", "testclient"),
    ],
)
def test_clients_are_counted_by_address_and_ipv6_by_its_64(host: str | None, key: str) -> None:
    assert client_key(host) == key
