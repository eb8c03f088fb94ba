"""Languages: choosing one from what a browser asks, the built-in labels and their fallbacks, the
answer problems in a page's language, and the check that every declared language is complete."""

from __future__ import annotations

from typing import Annotated, Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel

from tests.support.definitions import ROOT
from zeroparty.domain.experience.answers import validate_elements
from zeroparty.domain.experience.elements import TargetRules
from zeroparty.domain.experience.i18n import (
    BUILT_IN,
    ENGLISH,
    MESSAGES,
    Labels,
    accepted,
    choose_language,
    labels_for,
    placeholders,
)
from zeroparty.domain.experience.model import Experience
from zeroparty.domain.experience.translatable import TEXT, flatten, texts, translate
from zeroparty.domain.experience.validation import definition_problems


def vip_data() -> dict[str, Any]:
    data = yaml.safe_load((ROOT / "examples" / "vip-signup.yaml").read_text())
    assert isinstance(data, dict)
    return data


# Choosing the language


def test_accept_language_is_read_by_weight_then_order() -> None:
    assert accepted("fr-CH, fr;q=0.9, en;q=0.8, de;q=0.7, *;q=0.5") == ["fr-CH", "fr", "en", "de", "*"]
    assert accepted("en;q=0.2, nl, de;q=0.2") == ["nl", "en", "de"]
    assert accepted("fr;q=0, en") == ["en"]  # q=0: not acceptable
    assert accepted("fr;q=abc, en;q=2, ;;, é, es") == ["es"]
    assert accepted(None) == accepted("") == []


@pytest.mark.parametrize(
    ("asked", "header", "expected"),
    [
        (None, "fr-FR,fr;q=0.9,en;q=0.8", ("fr", True)),  # a region the experience lacks: its language
        (None, "de, fr;q=0.5", ("fr", True)),  # the first the experience has
        (None, "de, it", ("en", True)),  # none: its own language
        (None, "de, *;q=0.1", ("en", True)),
        (None, None, ("en", False)),
        ("fr", "en", ("fr", False)),  # ?lang= first
        ("FR", None, ("fr", False)),
        ("fr-CA", None, ("fr", False)),
        ("it", "fr", ("fr", True)),  # a language it lacks: as if not asked
        ("", "fr", ("fr", True)),
    ],
)
def test_the_language_is_asked_for_then_the_browsers_then_the_experiences(
    asked: str | None, header: str | None, expected: tuple[str, bool]
) -> None:
    assert choose_language(asked, header, ["en", "fr"], "en") == expected


def test_a_declared_region_is_matched_exactly_first() -> None:
    assert choose_language(None, "fr-CA", ["fr", "fr-CA"], "fr")[0] == "fr-CA"
    assert choose_language(None, "fr-BE", ["en", "fr-CA"], "en")[0] == "fr-CA"


languages = st.lists(st.sampled_from(["en", "fr", "de", "es-419", "nl", "fr-CA", "pt-BR"]), min_size=1, unique=True)


@given(asked=st.none() | st.text(max_size=40), header=st.none() | st.text(max_size=200), declared=languages)
def test_choosing_never_raises_and_gives_a_declared_language(
    asked: str | None, header: str | None, declared: list[str]
) -> None:
    chosen, _varies = choose_language(asked, header, declared, declared[0])
    assert chosen in declared


@given(header=st.text(alphabet="abcdefghijklmnopqrstuvwxyzAB-*;q=0.123456789, ", max_size=120))
def test_any_header_of_tag_like_characters_is_read_without_raising(header: str) -> None:
    assert all(tag for tag in accepted(header))


# Built-in labels


def test_each_built_in_language_has_every_label_and_no_value_english_lacks() -> None:
    for language, table in BUILT_IN.items():
        assert set(table) == set(ENGLISH), language
        for key, text in table.items():
            assert placeholders(text) <= placeholders(ENGLISH[key]), (language, key)


def test_a_label_comes_from_the_overrides_then_the_language_then_its_region_less_form_then_english() -> None:
    assert Labels("fr")("next") == "Suivant"
    assert Labels("fr-CA")("next") == "Suivant"
    assert Labels("it")("next") == "Next"
    assert Labels("fr", {"next": "Continuer"})("next") == "Continuer"
    assert Labels("fr", {"next": "Continuer"})("step", step=2, steps=3) == "Étape 2 sur 3"
    assert labels_for("de", {"fr": {"next": "Continuer"}})("next") == "Weiter"


def test_an_override_naming_an_unknown_value_keeps_it_as_written() -> None:
    assert Labels("en", {"step": "{step}/{steps} {oops}"})("step", step=1, steps=2) == "1/2 {oops}"


@pytest.mark.parametrize(
    ("english", "french"),
    [
        ("is required", "est obligatoire"),
        ("must be accepted to continue", "doit être accepté pour continuer"),
        ("must be at least 30", "doit valoir au moins 30"),
        ("must be at most 255 characters", "doit faire au plus 255 caractères"),
        (
            "is not a GB phone number; give the +country code if it is from elsewhere",
            "n'est pas un numéro de téléphone GB ; indiquez l'indicatif +pays s'il vient d'ailleurs",
        ),
        ("needs a text typed in for 'Another colour'", "demande un texte dans la case prévue"),
        ("needs at least 2 selected", "demande au moins 2 choix"),
        ("An email address must have an @-sign.", "n'est pas valide"),  # words the catalogue lacks
    ],
)
def test_an_answer_problem_is_shown_in_the_pages_language(english: str, french: str) -> None:
    assert Labels("fr").message(english) == french
    assert Labels("en").message(english) == english


def test_a_problem_the_catalogue_lacks_stays_in_english_on_an_english_page() -> None:
    assert Labels("en").message("An email address must have an @-sign.") == "An email address must have an @-sign."
    assert Labels("it").message("An email address must have an @-sign.") == "An email address must have an @-sign."
    assert Labels("it", {"invalid": "non è valido"}).message("An email address must have an @-sign.") == "non è valido"


def test_the_problems_the_checks_give_on_a_form_are_all_in_the_catalogue() -> None:
    exp = Experience.model_validate(vip_data())
    screens = {s.id: s for s in exp.screens}
    given = {"email": "", "phone": "12", "shoe_size": "7", "birthday": "31/02/1990", "anniversary": "x"}
    _clean, problems = validate_elements(list(screens["contact"].elements), given, exp=exp)
    more = validate_elements(list(screens["about"].elements), given | {"shoe_size": "2.5x"}, exp=exp)[1]
    messages = [p.message for p in problems + more + validate_elements(screens["about"].elements, given, exp=exp)[1]]
    assert len(messages) >= 4
    french = Labels("fr")
    assert [m for m in messages if french.message(m) in (m, french("invalid"))] == []
    assert set(MESSAGES) <= set(ENGLISH)


# The author's texts and their translations


def test_the_walk_finds_each_text_by_ids_and_leaves_a_default_button_to_the_labels() -> None:
    exp = Experience.model_validate(vip_data())
    paths = [".".join(t.path) for t in texts(exp)]
    assert paths[:3] == ["title", "screens.contact.title", "screens.contact.elements.email.label"]
    assert "screens.about.elements.gender.options.female.label" in paths
    assert "screens.about.button" in paths and "screens.contact.button" not in paths  # left as Next
    assert "outcomes.welcome.description" in paths
    assert set(paths) == {".".join(path) for path in flatten(vip_data()["translations"]["fr"])}


def test_a_text_field_a_new_model_marks_is_walked_and_translated() -> None:
    class Card(BaseModel):
        id: str
        caption: Annotated[str, TEXT]
        alt: str = "kept"

    class Gallery(BaseModel):
        cards: list[Card]

    gallery = Gallery(cards=[Card(id="a", caption="Sea"), Card(id="b", caption="Sky")])
    assert [".".join(t.path) for t in texts(gallery)] == ["cards.a.caption", "cards.b.caption"]
    french = translate(gallery, {("cards", "b", "caption"): "Ciel"})
    assert [c.caption for c in french.cards] == ["Sea", "Ciel"] and french.cards[0] is gallery.cards[0]


def test_translations_and_labels_are_kept_in_the_stored_form_and_left_out_when_unset() -> None:
    exp = Experience.model_validate(vip_data())
    stored = exp.stored_form()
    assert stored["translations"]["fr"]["title"] == "Rejoignez le club VIP"
    assert "language" not in stored  # en is the default, spelt out or not
    assert exp.languages == ["en", "fr"]
    bare = {k: v for k, v in vip_data().items() if k not in {"language", "translations"}}
    assert {"language", "translations", "labels"}.isdisjoint(Experience.model_validate(bare).stored_form())


def lines(data: dict[str, Any]) -> list[str]:
    exp, problems = definition_problems(data, TargetRules())
    assert exp is None
    return [f"{path}: {message}" for path, message in problems]


def test_each_text_missing_from_a_declared_language_is_one_line() -> None:
    data = vip_data()
    fr = data["translations"]["fr"]
    del fr["title"], fr["screens"]["about"]["elements"]["gender"]["options"]["male"]
    fr["outcomes"]["welcome"].pop("description")
    assert lines(data) == [
        "translations.fr.title: missing",
        "translations.fr.screens.about.elements.gender.options.male.label: missing",
        "translations.fr.outcomes.welcome.description: missing",
    ]


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (lambda d: d.update(language="English"), "language: must be a language tag such as fr or fr-CA"),
        (lambda d: d["translations"].update(FR={}), "translations.FR: must be a language tag such as fr or fr-CA"),
        (lambda d: d["translations"].update(en={}), "translations.en: is the definition's own language (en)"),
        (lambda d: d["translations"].update(de="Hallo"), "translations.de: should be a mapping of fields, not text"),
        (
            lambda d: d["translations"]["fr"]["screens"]["about"].update(titel="x"),
            "translations.fr.screens.about.titel: is not a text of this experience",
        ),
        (lambda d: d["translations"]["fr"].update(title=3), "translations.fr.title: must be text, not a number"),
        (lambda d: d["translations"]["fr"].update(title="  "), "translations.fr.title: is empty; it is required"),
        (lambda d: d["translations"]["fr"].update(title="a\nb"), "translations.fr.title: must be one line"),
        (lambda d: d.update(labels={"it": {"next": "Avanti"}}), "labels.it: is not a language of this experience"),
        (lambda d: d.update(labels={"fr": {"nxt": "Aller"}}), "labels.fr.nxt: is not a built-in label"),
        (lambda d: d.update(labels={"fr": {"next": ""}}), "labels.fr.next:"),
    ],
)
def test_each_language_problem_says_where_and_what(mutate: Any, expected: str) -> None:
    data = vip_data()
    mutate(data)
    found = lines(data)
    assert len(found) == 1 and found[0].startswith(expected), found


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=12,
)


@given(
    translations=st.dictionaries(st.text(max_size=8), json_values, max_size=3),
    labels=json_values,
    language=st.none() | st.text(max_size=8),
)
def test_any_translations_and_labels_give_problems_or_a_definition_never_an_exception(
    translations: dict[str, Any], labels: Any, language: str | None
) -> None:
    data = vip_data() | {"translations": translations, "labels": labels, "language": language}
    exp, problems = definition_problems(data, TargetRules())
    assert (exp is None) == bool(problems)
    assert all(isinstance(path, str) and message for path, message in problems), problems
