"""From answers to Braze profile changes: attribute IDs are Braze attribute names."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from zeroparty.domain.definition import Consent, EmailInput, Experience

# https://www.braze.com/docs/api/objects_filters/user_attributes_object : email_subscribe values.
OPTED_IN = "opted_in"


def profile_attributes(exp: Experience, answers: Mapping[str, Any], outcome_id: str | None) -> dict[str, Any]:
    """Braze attributes (name -> value) that these answers set. The email is the identifier and is
    not among them. An unticked marketing box sets nothing: not consenting is not unsubscribing."""
    attrs: dict[str, Any] = {}
    for element_id, (_screen, el) in exp.elements().items():
        if element_id not in answers or isinstance(el, EmailInput):
            continue
        value = answers[element_id]
        if isinstance(el, Consent) and el.purpose == "email_marketing":
            if value is True:
                attrs["email_subscribe"] = OPTED_IN
        elif el.attribute is not None:
            attrs[el.attribute] = value
    if outcome_id is not None and exp.outcome_attribute is not None:
        attrs[exp.outcome_attribute] = outcome_id
    return attrs


def respondent_email(exp: Experience, answers: Mapping[str, Any]) -> str | None:
    email_el = exp.email_element()
    if email_el is None:
        return None
    value = answers.get(email_el.id)
    return value if isinstance(value, str) else None


def changes_to_send(
    exp: Experience,
    before: Mapping[str, Any],
    after: Mapping[str, Any],
    outcome_before: str | None,
    outcome_after: str | None,
) -> tuple[str | None, dict[str, Any]]:
    """(email, attributes) a screen submit must send: only what changed, unless the respondent's
    email is new, in which case everything captured so far (it could not be sent without it)."""
    email = respondent_email(exp, after)
    if email is None:
        return None, {}
    now_attrs = profile_attributes(exp, after, outcome_after)
    if respondent_email(exp, before) != email:
        return email, now_attrs
    was = profile_attributes(exp, before, outcome_before)
    changed = {k: v for k, v in now_attrs.items() if k not in was or was[k] != v}
    # An answer withdrawn on a revisited screen unsets its attribute (Braze: null unsets).
    changed.update({k: None for k in was if k not in now_attrs and k != "email_subscribe"})
    return email, changed
