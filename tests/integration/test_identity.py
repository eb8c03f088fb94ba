"""People named by a signed external id, over real HTTP against the sandbox: the token is checked
where it comes in (API and hosted page) and nothing is stored when it is refused; a destination that
names people by external_id sends it, and with identify_emails folds an email-only profile into the
identified one instead of making a second (rows without an external id, and a failed identify, are
unit tests of the engine: tests/unit/delivery/test_engine_identity.py)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from tests.integration.test_cli import run
from tests.integration.test_delivery import URL, response_for, states
from tests.support.definitions import SAMPLE
from tests.support.stack import SANDBOX_AUTH, SANDBOX_KEY, Stack, exported, running_stack
from tests.support.waiting import wait_for
from zeroparty.adapters.crypto import SecretBox, load_or_create_key
from zeroparty.adapters.db.capture import SqlExperienceSecrets
from zeroparty.adapters.db.schema import erasures, experience_secrets, outbox, responses
from zeroparty.domain.destination_settings import DestinationSettings
from zeroparty.domain.experience.external_ids import make_token


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[Stack]:
    with running_stack(tmp_path) as s:
        yield s


def secret_for(stack: Stack, slug: str = "skin-quiz", *, rotate: bool = False) -> str:
    return SqlExperienceSecrets(stack.rt.engine, stack.rt.box).create(slug, stack.now(), rotate=rotate)


def token(secret: str, external_id: str = "cust-42", ttl: int = 600) -> str:
    return make_token(external_id, int(time.time()) + ttl, secret)


def name_by_external_id(stack: Stack, **extra: Any) -> None:
    stack.rt.destinations.set_settings("sandbox", DestinationSettings(identity="external_id", **extra))


def stored_external_ids(stack: Stack) -> tuple[list[str | None], list[str | None]]:
    with stack.rt.engine.connect() as conn:
        on_responses = list(conn.execute(sa.select(responses.c.external_id)).scalars())
        payloads = [p.get("external_id") for p in conn.execute(sa.select(outbox.c.payload)).scalars()]
    return on_responses, payloads


def export_by_external_id(stack: Stack, external_id: str) -> list[dict[str, Any]]:
    return exported(stack.sandbox, SANDBOX_KEY, external_ids=[external_id])


def sandbox_requests(stack: Stack, path: str) -> list[dict[str, Any]]:
    r = httpx.get(stack.sandbox + "/_sandbox/requests", params={"path": path, "limit": 1000}, headers=SANDBOX_AUTH)
    found: list[dict[str, Any]] = r.json()["requests"]
    return found


def test_a_signed_external_id_is_stored_and_names_the_profile_in_braze(stack: Stack) -> None:
    name_by_external_id(stack)
    body = response_for("ada@example.com") | {"external_id_token": token(secret_for(stack))}
    created = httpx.post(stack.base + URL, json=body)
    assert created.status_code == 201
    assert stored_external_ids(stack) == (["cust-42"], ["cust-42"])
    status = httpx.get(stack.base + created.headers["location"], headers=stack.auth).json()
    assert status["external_id"] == "cust-42"  # operators see who the response was for in Braze
    [profile] = wait_for(lambda: export_by_external_id(stack, "cust-42"), bool, timeout=10)
    assert profile["email"] == "ada@example.com"  # a plain attribute on the identified profile
    assert profile["custom_attributes"]["skin_type"] == "dry"
    [sent] = [o for r in sandbox_requests(stack, "/users/track") for o in r["request_body"]["attributes"]]
    assert sent["external_id"] == "cust-42" and sent["email"] == "ada@example.com"


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda secret: token(secret, ttl=-1), "has expired"),
        (lambda secret: token("zps_another-experiences-secret"), "not signed with this experience's secret"),
        (lambda secret: "cust-42", "not a zeroparty external id token"),
        (lambda secret: 42, "valid string"),
    ],
)
def test_a_bad_token_is_a_422_naming_the_field_and_nothing_is_stored(stack: Stack, make: Any, message: str) -> None:
    body = response_for("bad@example.com") | {"external_id_token": make(secret_for(stack))}
    r = httpx.post(stack.base + URL, json=body)
    assert r.status_code == 422, r.text
    [error] = r.json()["errors"]
    assert error["field"] == "external_id_token" and message in error["message"]
    assert stack.row_counts() == {"responses": 0, "answers": 0, "outbox": 0}


def test_a_token_for_an_experience_without_a_secret_or_after_rotation_is_refused(stack: Stack) -> None:
    body = response_for("rot@example.com") | {"external_id_token": token("zps_made-up")}
    r = httpx.post(stack.base + URL, json=body)
    assert r.status_code == 422 and "no secret" in r.json()["errors"][0]["message"]
    old = secret_for(stack)
    new = secret_for(stack, rotate=True)
    assert old != new
    assert (
        httpx.post(
            stack.base + URL, json=response_for("rot@example.com") | {"external_id_token": token(old)}
        ).status_code
        == 422
    )
    assert (
        httpx.post(
            stack.base + URL, json=response_for("rot@example.com") | {"external_id_token": token(new)}
        ).status_code
        == 201
    )


def test_the_hosted_page_carries_zp_id_from_the_first_screen_through_the_response(stack: Stack) -> None:
    name_by_external_id(stack)
    good = token(secret_for(stack), "page-7")
    with httpx.Client(base_url=stack.base, follow_redirects=False) as c:
        first = c.get("/e/skin-quiz", params={"zp_id": good})
        assert first.status_code == 200 and "zp_id=" in first.text  # the form posts the token back
        r = c.post("/e/skin-quiz", params={"zp_id": good}, data={"skin_type": "purple"})
        assert r.status_code == 422 and "zp_id=" in r.text  # a wrong answer keeps the token
        r = c.post("/e/skin-quiz", params={"zp_id": good}, data={"skin_type": "dry"})
        assert r.status_code == 303
        r = c.post(r.headers["location"], data={"skin_goals": ["hydration"]})
        r = c.post(r.headers["location"], data={"routine_length": "short"})
        r = c.post(r.headers["location"], data={"email": "page@example.com", "first_name": "Pat"})
        assert r.status_code == 303 and r.headers["location"].endswith("/outcome")
    on_responses, payloads = stored_external_ids(stack)
    assert on_responses == ["page-7"] and payloads and set(payloads) == {"page-7"}
    [profile] = wait_for(lambda: export_by_external_id(stack, "page-7"), bool, timeout=10)
    assert profile["email"] == "page@example.com" and profile["custom_attributes"]["skin_type"] == "dry"


def test_a_bad_zp_id_is_a_400_page_and_nothing_is_stored(stack: Stack) -> None:
    secret = secret_for(stack)
    for params in (
        httpx.QueryParams({"zp_id": token(secret, ttl=-1)}),
        httpx.QueryParams({"zp_id": "forged"}),
        httpx.QueryParams([("zp_id", "a"), ("zp_id", "b")]),
    ):
        shown = httpx.get(stack.base + "/e/skin-quiz", params=params)
        assert shown.status_code == 400 and "zp_id" in shown.text
        posted = httpx.post(stack.base + "/e/skin-quiz", params=params, data={"skin_type": "dry"})
        assert posted.status_code == 400 and "zp_id" in posted.text
    assert stack.row_counts() == {"responses": 0, "answers": 0, "outbox": 0}


def test_identify_emails_folds_the_email_only_profile_into_the_identified_one(stack: Stack) -> None:
    # First an email-only profile, made by a destination that names people by email.
    assert httpx.post(stack.base + URL, json=response_for("fold@example.com", skin="oily")).status_code == 201
    wait_for(lambda: stack.export_by_email("fold@example.com"), bool, timeout=10)
    name_by_external_id(stack, identify_emails=True)
    body: dict[str, Any] = {
        "answers": {"skin_type": "dry", "skin_goals": ["hydration"], "routine_length": "long"},
        "inputs": {"email": "fold@example.com", "first_name": "Fay"},
        "external_id_token": token(secret_for(stack), "fold-1"),
    }
    assert httpx.post(stack.base + URL, json=body).status_code == 201
    wait_for(lambda: states(stack), lambda s: s == {"delivered": 2}, timeout=10)
    [identify] = sandbox_requests(stack, "/users/identify")
    assert identify["request_body"] == {
        "emails_to_identify": [
            {
                "external_id": "fold-1",
                "email": "fold@example.com",
                "prioritization": ["unidentified", "most_recently_updated"],
            }
        ]
    }
    [profile] = stack.export_by_email("fold@example.com")  # one profile, not two
    assert profile["external_id"] == "fold-1"
    attrs = profile["custom_attributes"]
    assert attrs["skin_type"] == "dry" and attrs["routine_length"] == "long"  # the new values
    assert profile["first_name"] == "Fay"
    assert profile.get("email_subscribe") == "opted_in"  # from the email-only profile, kept
    # Identified once: a later response for the same person sends no second identify.
    body["answers"]["routine_length"] = "short"
    assert httpx.post(stack.base + URL, json=body).status_code == 201
    wait_for(lambda: states(stack), lambda s: s == {"delivered": 3}, timeout=10)
    assert len(sandbox_requests(stack, "/users/identify")) == 1
    assert len(stack.export_by_email("fold@example.com")) == 1


def test_the_secret_command_prints_a_secret_once_and_keeps_it_sealed(tmp_path: Path) -> None:
    assert run(tmp_path, "experiences", "import", str(SAMPLE)).returncode == 0
    made = run(tmp_path, "experiences", "secret", "skin-quiz")
    assert made.returncode == 0, made.stderr
    secret = made.stdout.strip()
    assert secret.startswith("zps_") and made.stdout == secret + "\n" and "only this once" in made.stderr
    again = run(tmp_path, "experiences", "secret", "skin-quiz")
    assert again.returncode == 1 and "--rotate" in again.stderr and secret not in again.stdout + again.stderr
    rotated = run(tmp_path, "experiences", "secret", "skin-quiz", "--rotate")
    assert rotated.returncode == 0 and rotated.stdout.strip() not in ("", secret)
    unknown = run(tmp_path, "experiences", "secret", "no-such-quiz")
    assert unknown.returncode == 1 and "slug: no experience 'no-such-quiz'" in unknown.stderr
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'zeroparty.db'}")
    with engine.connect() as conn:
        [(slug, sealed)] = conn.execute(sa.select(experience_secrets.c.slug, experience_secrets.c.secret_sealed)).all()
    engine.dispose()
    assert slug == "skin-quiz" and rotated.stdout.strip() not in sealed
    box = SecretBox(load_or_create_key(None, tmp_path / "secret.key"))
    assert box.open(sealed) == rotated.stdout.strip()


def test_erasing_a_person_deletes_their_identified_profile_by_external_id(stack: Stack) -> None:
    name_by_external_id(stack)
    body = response_for("ada@example.com") | {"external_id_token": token(secret_for(stack))}
    assert httpx.post(stack.base + URL, json=body).status_code == 201
    wait_for(lambda: export_by_external_id(stack, "cust-42"), bool, timeout=10)
    wait_for(lambda: stored_states(stack), lambda s: s == ["delivered"], timeout=10)
    [profile] = export_by_external_id(stack, "cust-42")
    erased = run(stack.data_dir, "people", "erase", "ada@example.com", "--yes")
    assert erased.returncode == 0, erased.stderr
    assert export_by_external_id(stack, "cust-42") == []
    [delete] = sandbox_requests(stack, "/users/delete")
    assert delete["request_body"] == {"braze_ids": [profile["braze_id"]]}  # found by the external id


def stored_states(stack: Stack) -> list[str]:
    with stack.rt.engine.connect() as conn:
        return list(conn.execute(sa.select(outbox.c.state)).scalars())


def test_a_failed_erasure_is_retried_by_looking_up_the_external_id_it_could_not_delete(stack: Stack) -> None:
    # The first run deletes the responses here, so the ids they carried must outlive them, sealed,
    # until Braze has deleted the profile: deleting by email picks one profile, perhaps another one.
    name_by_external_id(stack)
    body = response_for("ada@example.com") | {"external_id_token": token(secret_for(stack))}
    assert httpx.post(stack.base + URL, json=body).status_code == 201
    wait_for(lambda: stored_states(stack), lambda s: s == ["delivered"], timeout=10)
    fault = {"kind": "status", "status": 503, "count": 1, "path": "/users/delete"}
    assert (
        httpx.post(stack.sandbox + "/_sandbox/faults", json={"faults": [fault]}, headers=SANDBOX_AUTH).status_code
        == 200
    )
    [profile] = export_by_external_id(stack, "cust-42")
    first = run(stack.data_dir, "people", "erase", "ada@example.com", "--yes")
    assert first.returncode == 1 and len(export_by_external_id(stack, "cust-42")) == 1
    stored = b"".join(p.read_bytes() for p in stack.data_dir.glob("zeroparty.db*"))
    assert b"cust-42" not in stored  # kept sealed, never in clear text

    again = run(stack.data_dir, "people", "erase", "ada@example.com", "--yes")
    assert again.returncode == 0, again.stderr
    assert export_by_external_id(stack, "cust-42") == []
    deletes = [r["request_body"] for r in sandbox_requests(stack, "/users/delete")]
    assert deletes == [{"braze_ids": [profile["braze_id"]]}] * 2
    lookups = [r["request_body"] for r in sandbox_requests(stack, "/users/export/ids")]
    assert {"external_ids": ["cust-42"]} in [{"external_ids": b.get("external_ids")} for b in lookups[-2:]]
    with stack.rt.engine.connect() as conn:
        logged = conn.execute(sa.select(erasures.c.destinations).order_by(erasures.c.id)).scalars().all()
    assert [[set(call) for call in calls] for calls in logged] == [[{"destination", "outcome", "done"}]] * 2
