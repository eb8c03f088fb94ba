"""An experience's texts in a page's language: translations where the page's language has them, and
the built-in labels (reworded or translated) in place of a button left as "Next"."""

from __future__ import annotations

from typing import Any

import yaml

from tests.support.definitions import ROOT, sample_data
from zeroparty.adapters.http.language import PageLanguage, localized
from zeroparty.domain.experience.i18n import Labels
from zeroparty.domain.experience.model import Experience


def in_language(exp: Experience, code: str, overrides: dict[str, str] | None = None) -> Experience:
    return localized(exp, PageLanguage(code, Labels(code, overrides or {}), varies=False, carried=True))


def vip() -> Experience:
    data: dict[str, Any] = yaml.safe_load((ROOT / "examples" / "vip-signup.yaml").read_text())
    return Experience.model_validate(data)


def test_a_page_in_a_translated_language_shows_the_translations_and_french_labels() -> None:
    exp = in_language(vip(), "fr")
    contact, about = exp.screens
    assert (exp.title, contact.title, contact.button) == (
        "Rejoignez le club VIP",
        "Où pouvons-nous vous joindre ?",
        "Suivant",
    )
    assert about.button == "Rejoindre"  # the author's own button, translated by the author
    gender = about.elements[1]
    assert gender.label == "Genre" and [o.label for o in gender.options][:2] == ["Femme", "Homme"]  # type: ignore[union-attr]
    assert [o.value for o in gender.options] == ["female", "male", "other", "rather_not"]  # type: ignore[union-attr]
    assert exp.outcomes[0].description == "Votre première offre VIP est en route."


def test_a_page_in_the_experiences_own_language_is_the_experience_itself() -> None:
    exp = vip()
    assert in_language(exp, "en") is exp


def test_a_reworded_next_label_replaces_buttons_left_as_next_only() -> None:
    exp = Experience.model_validate(sample_data())
    shown = in_language(exp, "en", {"next": "Continue"})
    assert [s.button for s in shown.screens] == ["Continue", "Continue", "Continue", "Show my routine"]


def test_an_other_choice_left_as_other_is_the_built_in_label() -> None:
    data: dict[str, Any] = yaml.safe_load((ROOT / "examples" / "style-profile.yaml").read_text())
    data["screens"][1]["elements"][0]["other"] = {"max_length": 40}
    shown = in_language(Experience.model_validate(data), "fr")
    assert shown.screens[1].elements[0].other.label == "Autre"  # type: ignore[union-attr]
    assert shown.screens[0].button == "Suivant"
