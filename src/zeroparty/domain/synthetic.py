"""The synthetic profile `zeroparty destinations test` sends: plausible answers through an
experience's real mapping, named and filtered by the destination's settings. Pure."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from zeroparty.domain.definition import Consent, EmailInput, Experience, MultiChoice, SingleChoice, TextInput
from zeroparty.domain.destination_settings import DestinationSettings, braze_attributes
from zeroparty.domain.mapping import profile_attributes
from zeroparty.domain.outcomes import choose_outcome

TEST_ATTRIBUTE = "zeroparty_test"


def synthetic_answers(exp: Experience) -> dict[str, Any]:
    """A plausible answer to every question: the first option, a short text. No consent is given
    and no email is set: a test must never record consent, and the email is the test address."""
    answers: dict[str, Any] = {}
    for _screen, el in exp.elements().values():
        if isinstance(el, SingleChoice):
            answers[el.id] = el.options[0].value
        elif isinstance(el, MultiChoice):
            answers[el.id] = [el.options[0].value]
        elif isinstance(el, TextInput):
            answers[el.id] = "Zeroparty test"
        elif isinstance(el, EmailInput | Consent):
            continue
    return answers


def synthetic_attributes(exp: Experience | None, sent_at: str) -> dict[str, Any]:
    """The attributes of a test send, under zeroparty's attribute IDs: what `exp`'s mapping makes of
    synthetic answers, or a small synthetic set without an experience."""
    if exp is None:
        return {TEST_ATTRIBUTE: True, "zeroparty_test_sent_at": sent_at}
    answers = synthetic_answers(exp)
    return profile_attributes(exp, answers, choose_outcome(exp, answers).id)


def synthetic_object(
    email: str, attributes: Mapping[str, Any], settings: DestinationSettings, test_id: str
) -> dict[str, Any]:
    """One `/users/track` attributes object for the test user, named and filtered by the
    destination's settings. Identifiers: https://www.braze.com/docs/api/objects_filters/user_attributes_object
    (a user alias creates a profile only with `_update_existing_only: false`)."""
    obj: dict[str, Any]
    if settings.identity == "user_alias":
        obj = {"user_alias": {"alias_name": email, "alias_label": settings.alias_label}, "email": email}
        obj["_update_existing_only"] = False if settings.update_existing_only is None else settings.update_existing_only
    elif settings.identity == "external_id":
        obj = {"external_id": f"zeroparty-test-{test_id}", "email": email}
    else:
        obj = {"email": email}
    if settings.update_existing_only is not None:
        obj["_update_existing_only"] = settings.update_existing_only
    obj.update(braze_attributes(dict(attributes), settings))
    return obj


def synthetic_email(test_id: str) -> str:
    return f"zeroparty-test+{test_id}@example.com"
