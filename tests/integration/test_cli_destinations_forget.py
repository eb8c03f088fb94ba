"""`zeroparty destinations forget NAME (--email ADDRESS… | --all)`, run as a real process beside a
real server and sandbox: after a profile changed in Braze, the next delivery sends every value again."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import httpx
import sqlalchemy as sa

from tests.integration.test_cli import run
from tests.integration.test_cli_destinations import errors
from tests.integration.test_delivery import URL, response_for, states, track_requests
from tests.support.stack import Stack, running_stack
from tests.support.waiting import wait_for
from zeroparty.adapters.db.schema import delivery_state, responses


def delivered(stack: Stack, n: int) -> None:
    wait_for(lambda: states(stack), lambda s: s.get("delivered", 0) == n, timeout=20)


def records(stack: Stack) -> list[str]:
    with stack.rt.engine.connect() as conn:
        return sorted(conn.execute(sa.select(delivery_state.c.user_key)).scalars())


def sent_attributes(stack: Stack) -> list[list[str]]:
    """The attribute names of each /users/track request, oldest first."""
    return [
        sorted(k for obj in r["request_body"].get("attributes", []) for k in obj if k != "email")
        for r in reversed(track_requests(stack))
    ]


def test_forget_an_email_makes_the_next_delivery_send_every_value_again(tmp_path: Path) -> None:
    with running_stack(tmp_path) as stack:
        assert httpx.post(stack.base + URL, json=response_for("Ada@Example.com")).status_code == 201
        delivered(stack, 1)
        assert httpx.post(stack.base + URL, json=response_for("ada@example.com")).status_code == 201
        delivered(stack, 2)
        # Identical: Braze holds every answer; only the consent given again goes (it is never left out).
        sent = sent_attributes(stack)
        assert len(sent) == 2 and ["email_subscribe"] in sent

        # The person's responses carried an external id: an external_id destination keys records by it.
        with stack.rt.engine.begin() as conn:
            conn.execute(sa.update(responses).values(external_id="cust-77"))
            conn.execute(
                sa.insert(delivery_state).values(
                    destination_id=1, user_key="cust-77", values={"skin_type": "dry"}, updated_at=datetime.now(UTC)
                )
            )
            conn.execute(
                sa.insert(delivery_state).values(
                    destination_id=1, user_key="bo@example.com", values={}, updated_at=datetime.now(UTC)
                )
            )
        done = run(tmp_path, "destinations", "forget", "sandbox", "--email", " ADA@example.com ")
        assert done.returncode == 0, done.stderr
        assert done.stdout.strip() == (
            "Forgot 2 record(s) of what 'sandbox' holds for ada@example.com: the next delivery to it sends every "
            "value again."
        )
        assert records(stack) == ["bo@example.com"]  # another person's record stays

        assert httpx.post(stack.base + URL, json=response_for("ada@example.com")).status_code == 201
        delivered(stack, 3)
        [first, again] = [names for names in sent_attributes(stack) if names != ["email_subscribe"]]
        assert again == first  # every value once more, as if Braze held nothing


def test_forget_all_asks_first_and_either_way_names_the_option(tmp_path: Path) -> None:
    with running_stack(tmp_path) as stack:
        for email in ("ada@example.com", "bo@example.com"):
            assert httpx.post(stack.base + URL, json=response_for(email)).status_code == 201
        delivered(stack, 2)
        neither = run(tmp_path, "destinations", "forget", "sandbox")
        assert neither.returncode == 1 and errors(neither).startswith("error: --email: name the people to forget")
        both = run(tmp_path, "destinations", "forget", "sandbox", "--all", "--email", "ada@example.com")
        assert both.returncode == 1 and errors(both).strip() == "error: --all: give either --email or --all, not both"
        bad = run(tmp_path, "destinations", "forget", "sandbox", "--email", "not-an-address")
        assert bad.returncode == 1 and errors(bad).startswith("error: --email: 'not-an-address' is not a valid email")
        missing = run(tmp_path, "destinations", "forget", "nope", "--all", "--yes")
        assert missing.returncode == 1 and "name: no destination named 'nope'" in errors(missing)

        refused = run(tmp_path, "destinations", "forget", "sandbox", "--all", stdin="n\n")
        assert refused.returncode == 1
        assert "Forget all 2 record(s) of what 'sandbox' holds? [y/N]" in refused.stdout
        assert errors(refused).strip() == (
            "error: --all: not confirmed, nothing was forgotten (pass --yes to forget without asking)"
        )
        assert len(records(stack)) == 2
        done = run(tmp_path, "destinations", "forget", "sandbox", "--all", "--yes")
        assert done.returncode == 0, done.stderr
        assert done.stdout.startswith("Forgot 2 record(s) of what 'sandbox' holds: ")
        assert records(stack) == []
