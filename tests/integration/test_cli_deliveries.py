"""`zeroparty deliveries …` and `zeroparty destinations backfill`, run as a real process against a
real server and Braze sandboxes over HTTP: the per-destination report, dead items with Braze's
reason for each, replay, and backfill to a destination added later."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa

from tests.integration.test_cli import run
from tests.integration.test_cli_destinations import FULL, errors, sandbox
from tests.integration.test_delivery import URL, response_for, states, track_requests
from tests.support.stack import SANDBOX_AUTH, SANDBOX_KEY, Stack, exported, running_stack
from tests.support.waiting import wait_for
from zeroparty.adapters.db.schema import delivery_attempts, outbox, responses

REFUSED = "The value provided for the 'email' field is not a valid email."


def fault(stack: Stack, *faults: dict[str, Any]) -> None:
    r = httpx.post(stack.sandbox + "/_sandbox/faults", json={"faults": list(faults)}, headers=SANDBOX_AUTH)
    assert r.status_code == 200, r.text


def refuse(email: str) -> dict[str, Any]:
    """Braze refuses every object for `email`, until the faults are cleared."""
    return {"kind": "reject", "identifier": {"email": email}, "field": "email", "message": REFUSED, "ratio": 1}


def settled(stack: Stack, n: int) -> dict[str, int]:
    return wait_for(lambda: states(stack), lambda s: s.get("delivered", 0) + s.get("dead", 0) == n, timeout=20)


def as_json(done: Any) -> Any:
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def report(data_dir: Path) -> dict[str, Any]:
    rows = as_json(run(data_dir, "deliveries", "--json"))["destinations"]
    return {r["destination"]: r for r in rows}


def attempts_of(stack: Stack, item_id: str) -> list[str]:
    a = delivery_attempts.c
    with stack.rt.engine.connect() as conn:
        return list(conn.execute(sa.select(a.outcome).where(a.outbox_id == item_id).order_by(a.id)).scalars())


def replay_detail(stack: Stack, item_id: str) -> str:
    a = delivery_attempts.c
    with stack.rt.engine.connect() as conn:
        found = conn.execute(sa.select(a.detail).where(a.outbox_id == item_id, a.outcome == "replayed")).scalar_one()
    return str(found)


def delivered_ids(stack: Stack) -> list[str]:
    with stack.rt.engine.connect() as conn:
        return list(conn.execute(sa.select(outbox.c.id).where(outbox.c.state == "delivered")).scalars())


def test_report_dead_items_with_their_reason_and_replay(tmp_path: Path) -> None:
    with running_stack(tmp_path) as stack:
        fault(stack, refuse("bad1@example.com"), refuse("bad2@example.com"))
        for email in ("good@example.com", "bad1@example.com", "bad2@example.com"):
            assert httpx.post(stack.base + URL, json=response_for(email)).status_code == 201
        assert settled(stack, 3) == {"delivered": 1, "dead": 2}

        sandbox_row = report(tmp_path)["sandbox"]
        assert {k: sandbox_row[k] for k in ("pending", "in_flight", "delivered", "dead", "paused")} == {
            "pending": 0, "in_flight": 0, "delivered": 1, "dead": 2, "paused": False,
        }  # fmt: skip
        assert sandbox_row["requests"] >= 2 and sandbox_row["points_sent"] >= 5
        assert sandbox_row["latency_rows"] == 1 and 0 <= sandbox_row["latency_p50_s"] <= sandbox_row["latency_p99_s"]
        table = run(tmp_path, "deliveries")
        assert table.returncode == 0, table.stderr
        assert "sandbox" in table.stdout and "active" in table.stdout and "last 1,000 delivered items" in table.stdout

        dead = as_json(run(tmp_path, "deliveries", "dead", "--json"))
        assert {d["user"] for d in dead} == {"bad1@example.com", "bad2@example.com"}
        assert all(d["reason"] == f"Braze rejected this profile update: {REFUSED}" for d in dead)
        assert all(d["destination"] == "sandbox" and d["attempts"] >= 1 for d in dead)
        assert dead[0]["dead_at"] >= dead[1]["dead_at"]  # newest first
        listed = run(tmp_path, "deliveries", "dead", "--destination", "sandbox")
        assert all(d["id"] in listed.stdout for d in dead) and "Braze rejected" in listed.stdout
        unknown = run(tmp_path, "deliveries", "dead", "--destination", "nope")
        assert (
            unknown.returncode == 1 and errors(unknown).strip() == "error: --destination: no destination named 'nope'"
        )

        # Braze accepts them again: replaying one by id delivers it, under the same id.
        assert httpx.delete(stack.sandbox + "/_sandbox/faults", headers=SANDBOX_AUTH).status_code == 200
        one = next(d for d in dead if d["user"] == "bad1@example.com")
        [done_id] = delivered_ids(stack)
        mixed = run(tmp_path, "deliveries", "replay", one["id"], "no-such-id", done_id)
        assert mixed.returncode == 1
        assert mixed.stdout.strip() == "Replayed 1 dead item(s): back to pending with the same id, their history kept."
        assert errors(mixed).splitlines() == [
            "error: ID: 'no-such-id' is not a delivery item",
            f"error: ID: '{done_id}' is delivered, not dead: nothing to replay",
        ]
        wait_for(lambda: states(stack), lambda s: s == {"delivered": 2, "dead": 1}, timeout=20)
        assert stack.export_by_email("bad1@example.com")[0]["custom_attributes"]["skin_type"] == "dry"
        assert attempts_of(stack, one["id"]) == ["dead", "replayed", "delivered"]  # its history, kept

        # --all asks first; no answer (or "no") replays nothing.
        both = run(tmp_path, "deliveries", "replay", "--all", one["id"])
        assert both.returncode == 1 and errors(both).strip() == "error: --all: give either ids or --all, not both"
        neither = run(tmp_path, "deliveries", "replay")
        assert neither.returncode == 1 and errors(neither).startswith("error: ID: name the dead items to replay")
        declined = run(tmp_path, "deliveries", "replay", "--all", stdin="n\n")
        assert declined.returncode == 1 and "Replay all 1 dead item(s)?" in declined.stdout
        assert errors(declined).strip() == (
            "error: --all: not confirmed, nothing was replayed (pass --yes to replay without asking)"
        )
        unanswered = run(tmp_path, "deliveries", "replay", "--all", stdin="")  # end of input: no answer
        assert unanswered.returncode == 1 and "not confirmed, nothing was replayed" in errors(unanswered)
        assert states(stack) == {"delivered": 2, "dead": 1}
        # Meanwhile bad2 answers again: a replay must not turn their profile back to the old answer.
        assert httpx.post(stack.base + URL, json=response_for("bad2@example.com", skin="oily")).status_code == 201
        wait_for(lambda: states(stack), lambda s: s == {"delivered": 3, "dead": 1}, timeout=20)
        other = run(tmp_path, "deliveries", "replay", "--all", "--destination", "nope", "--yes")
        assert other.returncode == 1 and errors(other).strip() == "error: --destination: no destination named 'nope'"
        confirmed = run(tmp_path, "deliveries", "replay", "--all", "--destination", "sandbox", stdin="y\n")
        assert confirmed.returncode == 0, confirmed.stderr
        assert confirmed.stdout.endswith(
            "? [y/N]: Replayed 1 dead item(s): back to pending with the same id, their history kept.\n"
        )
        wait_for(lambda: states(stack), lambda s: s == {"delivered": 4}, timeout=20)
        assert stack.export_by_email("bad2@example.com")[0]["custom_attributes"]["skin_type"] == "oily"
        two = next(d for d in dead if d["user"] == "bad2@example.com")
        assert replay_detail(stack, two["id"]).startswith("replayed; left out, set since by a later item: ")
        assert "skin_type" in replay_detail(stack, two["id"])
        nothing = run(tmp_path, "deliveries", "replay", "--all", "--yes")
        assert nothing.returncode == 0 and nothing.stdout.strip() == "Nothing to replay: there are no dead items."
        assert as_json(run(tmp_path, "deliveries", "dead", "--json")) == []
        assert report(tmp_path)["sandbox"]["delivered"] == 4


def second_requests(base: str) -> list[dict[str, Any]]:
    r = httpx.get(
        base + "/_sandbox/requests",
        params={"path": "/users/track", "limit": 1000},
        headers={"Authorization": f"Bearer {FULL}"},
    )
    assert r.status_code == 200, r.text
    found: list[dict[str, Any]] = r.json()["requests"]
    return found


def export(base: str, email: str) -> list[dict[str, Any]]:
    return exported(base, FULL, email_address=email)


def test_backfill_sends_current_profiles_to_a_later_destination_once(tmp_path: Path) -> None:
    (tmp_path / "second").mkdir()
    with running_stack(tmp_path) as stack, sandbox(tmp_path / "second") as second:
        assert httpx.post(stack.base + URL, json=response_for("ada@example.com", skin="dry")).status_code == 201
        assert httpx.post(stack.base + URL, json=response_for("ada@example.com", skin="oily")).status_code == 201
        assert httpx.post(stack.base + URL, json=response_for("bo@example.com", opt_in=False)).status_code == 201
        with httpx.Client(base_url=stack.base) as c:  # a respondent who never gave an email: skipped
            assert c.post("/e/skin-quiz", data={"skin_type": "normal"}).status_code == 303
        settled(stack, 3)
        added = run(tmp_path, "destinations", "add-braze", "later", "--endpoint", second, "--no-verify", key=FULL)
        assert added.returncode == 0, added.stderr
        assert second_requests(second) == []  # nothing reaches a new destination by itself

        bad = run(tmp_path, "destinations", "backfill", "later", "--since", "yesterday")
        assert bad.returncode == 1
        assert errors(bad).startswith("error: --since: 'yesterday' is not an ISO date: use YYYY-MM-DD")
        missing = run(tmp_path, "destinations", "backfill", "nope")
        assert missing.returncode == 1 and "name: no destination named 'nope'" in errors(missing)
        future = run(tmp_path, "destinations", "backfill", "later", "--since", "2999-01-01")
        assert future.returncode == 0, future.stderr
        assert future.stdout.strip().startswith("Queued 0 profile(s) for 'later' from 0 respondent(s)")

        done = run(tmp_path, "destinations", "backfill", "later", "--since", "2000-01-01")
        assert done.returncode == 0, done.stderr
        assert done.stdout.strip().startswith("Queued 2 profile(s) for 'later' from 2 respondent(s)")
        assert done.stdout.splitlines()[-1] == "Subscription states not sent (pass --with-consent to send them)."
        wait_for(lambda: report(tmp_path)["later"], lambda r: r["delivered"] == 2 and r["pending"] == 0, timeout=20)
        [ada] = export(second, "ada@example.com")
        assert ada["custom_attributes"]["skin_type"] == "oily"  # the newest answer wins
        # An old consent is not today's: without --with-consent it would not re-subscribe anyone
        assert ada.get("email_subscribe") != "opted_in" and ada["first_name"] == "Kim"
        [bo] = export(second, "bo@example.com")
        assert bo["custom_attributes"]["skin_type"] == "dry" and bo.get("email_subscribe") != "opted_in"
        sent = second_requests(second)
        assert len(sent) == 1 and len(sent[0]["request_body"]["attributes"]) == 2
        assert "events" not in sent[0]["request_body"]  # a backfill sends no completion event
        first = report(tmp_path)["sandbox"]

        # Again: the rows are queued, but the destination already holds every value, so no request.
        again = run(tmp_path, "destinations", "backfill", "later")
        assert again.returncode == 0, again.stderr
        assert again.stdout.strip().startswith("Queued 2 profile(s)")
        later = wait_for(lambda: report(tmp_path)["later"], lambda r: r["delivered"] == 4, timeout=20)
        assert later["pending"] == 0 and later["points_saved"] >= 2 * 5 and later["requests"] == 1
        assert second_requests(second) == sent
        assert report(tmp_path)["sandbox"] == first  # the other destination is untouched

        consenting = run(tmp_path, "destinations", "backfill", "later", "--with-consent")
        assert consenting.returncode == 0, consenting.stderr
        assert "Subscription states sent as the responses left them (--with-consent)." in consenting.stdout
        wait_for(lambda: report(tmp_path)["later"], lambda r: r["delivered"] == 6, timeout=20)
        [ada] = export(second, "ada@example.com")
        assert ada["email_subscribe"] == "opted_in"
        [new] = [r for r in second_requests(second) if r not in sent]  # only the states Braze did not hold yet
        assert [sorted(o) for o in new["request_body"]["attributes"]] == [["email", "email_subscribe"]]


def test_backfill_into_the_same_braze_after_an_answer_changed(tmp_path: Path) -> None:
    # A second destination on the same sandbox: values sent once, then only what changed.
    with running_stack(tmp_path) as stack:
        assert httpx.post(stack.base + URL, json=response_for("cy@example.com")).status_code == 201
        settled(stack, 1)
        added = run(tmp_path, "destinations", "add-braze", "twin", "--endpoint", stack.sandbox, key=SANDBOX_KEY)
        assert added.returncode == 0, added.stderr
        assert run(tmp_path, "destinations", "backfill", "twin").returncode == 0
        wait_for(lambda: report(tmp_path)["twin"], lambda r: r["delivered"] == 1, timeout=20)
        before = len(track_requests(stack))
        assert httpx.post(stack.base + URL, json=response_for("cy@example.com", skin="oily")).status_code == 201
        wait_for(lambda: report(tmp_path), lambda r: r["sandbox"]["delivered"] == 2 and r["twin"]["delivered"] == 2)
        assert run(tmp_path, "destinations", "backfill", "twin").returncode == 0
        wait_for(lambda: report(tmp_path)["twin"], lambda r: r["delivered"] == 3, timeout=20)
        assert len(track_requests(stack)) == before + 2  # the change, once per destination; the backfill: none
        twin_id = next(d.id for d in stack.rt.destinations.list() if d.name == "twin")
        stack.rt.outbox.pause(twin_id, "Braze refused the API key (HTTP 401)", None)
        twin = report(tmp_path)["twin"]
        assert twin["paused"] is True and twin["paused_reason"] == "Braze refused the API key (HTTP 401)"
        assert "paused: Braze refused the API key (HTTP 401)" in run(tmp_path, "deliveries").stdout
        paused = run(tmp_path, "destinations", "backfill", "twin")
        assert paused.stdout.splitlines()[-1] == (
            "'twin' is paused (Braze refused the API key (HTTP 401)): they go out once it resumes."
        )


def test_backfill_to_an_external_id_destination_keys_each_profile_by_its_newest_external_id(tmp_path: Path) -> None:
    (tmp_path / "second").mkdir()
    with running_stack(tmp_path) as stack, sandbox(tmp_path / "second") as second:
        for email, skin in (("ada@example.com", "dry"), ("ada@example.com", "oily"), ("bo@example.com", "normal")):
            assert httpx.post(stack.base + URL, json=response_for(email, skin=skin)).status_code == 201
        settled(stack, 3)
        with stack.rt.engine.begin() as conn:  # the tokens the responses started with named these ids
            r = responses.c
            ids = conn.execute(sa.select(r.id).where(r.email == "ada@example.com").order_by(r.updated_at)).scalars()
            for response_id, external_id in zip(ids, ("cust-old", "cust-77"), strict=True):
                conn.execute(sa.update(responses).where(r.id == response_id).values(external_id=external_id))
        added = run(tmp_path, "destinations", "add-braze", "later", "--endpoint", second, "--no-verify", key=FULL)
        assert added.returncode == 0, added.stderr
        assert run(tmp_path, "destinations", "set", "later", "identity=external_id").returncode == 0

        done = run(tmp_path, "destinations", "backfill", "later")
        assert done.returncode == 0, done.stderr
        assert done.stdout.strip().splitlines() == [
            "Queued 1 profile(s) for 'later' from 2 respondent(s) with responses; values it already holds are not "
            "sent again.",
            "Subscription states not sent (pass --with-consent to send them).",
            "Skipped 1 respondent(s) without a signed external id: 'later' names people by external_id.",
        ]
        with stack.rt.engine.connect() as conn:
            later = sa.select(outbox.c.user_key, outbox.c.payload).where(outbox.c.destination_id == 2)
            [(user_key, payload)] = conn.execute(later).all()
        assert user_key == "cust-77" and payload["external_id"] == "cust-77"  # the newest id keys the row
        assert payload["email"] == "ada@example.com"  # sent as an attribute, as capture's rows are
        wait_for(lambda: report(tmp_path)["later"], lambda r: r["delivered"] == 1, timeout=20)
        assert report(tmp_path)["later"]["dead"] == 0  # delivered, not dead-lettered
        [ada] = exported(second, FULL, external_ids=["cust-77"])
        assert ada["email"] == "ada@example.com" and ada["custom_attributes"]["skin_type"] == "oily"
        assert export(second, "bo@example.com") == []


def test_the_report_shows_this_months_data_points_against_the_budget_and_warns(tmp_path: Path) -> None:
    with running_stack(tmp_path) as stack:
        assert run(tmp_path, "destinations", "set", "sandbox", "monthly_data_point_budget=6").returncode == 0
        assert httpx.post(stack.base + URL, json=response_for("budget@example.com")).status_code == 201
        settled(stack, 1)
        row = report(tmp_path)["sandbox"]
        assert (row["month_points_sent"], row["monthly_data_point_budget"], row["budget_level"]) == (5, 6, "near")
        assert row["budget_warning"] == "destination 'sandbox' has used 5 of 6 data points this month (83 %)"
        shown = run(tmp_path, "deliveries")
        assert "5 data points of 6 (83 %)" in shown.stdout
        assert "warning: destination 'sandbox' has used 5 of 6 data points this month (83 %)" in shown.stderr
