"""Hosted pages in the respondent's language over real HTTP: chosen by `?lang=` or Accept-Language,
held for the whole response, with the built-in labels and answer problems in it."""

from __future__ import annotations

import html
from typing import Any

import httpx
import sqlalchemy as sa
import yaml

from tests.support.definitions import ROOT
from tests.support.stack import Stack
from zeroparty.adapters.db.schema import responses
from zeroparty.cli.experiences import load_definition_file
from zeroparty.domain.experience.model import Experience
from zeroparty.domain.experience.translatable import texts

FRENCH = {"Accept-Language": "fr-FR,fr;q=0.9,en;q=0.5"}


def action_of(page: httpx.Response) -> str:
    return html.unescape(page.text.split('<form method="post" action="')[1].split('"')[0])


def test_a_french_browser_gets_french_texts_and_labels_for_the_whole_response(vip: Stack) -> None:
    with httpx.Client(base_url=vip.base, headers=FRENCH) as c:
        page = c.get("/e/vip-signup")
        assert page.status_code == 200
        assert '<html lang="fr">' in page.text and "Où pouvons-nous vous joindre ?" in page.text
        assert ">Suivant</button>" in page.text and 'aria-label="Étape 1 sur 2"' in page.text
        assert page.headers["content-language"] == "fr" and "Accept-Language" in page.headers["vary"]
        assert action_of(page).endswith("?lang=fr")  # the first screen's choice goes on with the answers
        refused = c.post(action_of(page), data={"phone": "12"})
        assert refused.status_code == 422
        assert "Veuillez vérifier ces réponses" in refused.text and "E-mail est obligatoire" in refused.text
        assert "Numéro de mobile n&#39;est pas un numéro de téléphone GB" in refused.text
        first = c.post(action_of(page), data={"email": "fr@example.com"}, follow_redirects=False)
        assert first.status_code == 303 and "lang=" not in first.headers["location"]  # the response has it
        second = c.get(first.headers["location"], headers={"Accept-Language": "en"})  # a resumed link, say
        assert "Un peu plus sur vous" in second.text and ">Rejoindre</button>" in second.text
        assert "JJ/MM/AAAA" in second.text and "vary" not in second.headers
        again = c.get(first.headers["location"] + "?lang=en")  # the response's language holds
        assert "Un peu plus sur vous" in again.text and again.headers["content-language"] == "fr"
        done = c.post(action_of(second), data={"gender": "female"}, follow_redirects=False)
        outcome = c.get(done.headers["location"])
        assert "Bienvenue au club" in outcome.text and '<html lang="fr">' in outcome.text
    assert stored_languages(vip) == ["fr"]  # kept with the response


def stored_languages(stack: Stack) -> list[str | None]:
    with stack.rt.engine.connect() as conn:
        return list(conn.execute(sa.select(responses.c.language).order_by(responses.c.created_at)).scalars())


def test_lang_in_the_link_wins_over_the_browser(vip: Stack) -> None:
    with httpx.Client(base_url=vip.base, headers=FRENCH) as c:
        assert "lang" in c.get("/e/vip-signup/embed.json").json()["parameters"]  # an embed passes it on
        page = c.get("/e/vip-signup?lang=en")
        assert "Where can we reach you?" in page.text and ">Next</button>" in page.text
        assert page.headers["content-language"] == "en" and "vary" not in page.headers
        other = c.get("/e/vip-signup?lang=it")  # a language it lacks: as if not asked
        assert other.headers["content-language"] == "fr"


def test_an_experience_in_one_language_keeps_it_and_its_links(stack: Stack) -> None:
    with httpx.Client(base_url=stack.base, headers=FRENCH) as c:
        page = c.get("/e/skin-quiz")
        assert '<html lang="en">' in page.text and ">Next</button>" in page.text
        assert "lang=" not in action_of(page)
        c.post(action_of(page), data={"skin_type": "dry"})
    assert stored_languages(stack) == ["en"]


def test_a_page_for_no_experience_speaks_the_browsers_built_in_language(stack: Stack) -> None:
    with httpx.Client(base_url=stack.base) as c:
        page = c.get("/e/no-such-thing", headers={"Accept-Language": "de-AT, en;q=0.5"})
        assert page.status_code == 404 and "Nicht gefunden" in page.text and '<html lang="de">' in page.text


def test_a_translation_holding_markup_stays_inert(stack: Stack) -> None:
    data = yaml.safe_load((ROOT / "examples" / "vip-signup.yaml").read_text())
    data["translations"]["fr"]["screens"]["contact"]["title"] = "<script>alert(1)</script><b>Où ?</b>"
    stack.rt.experiences.publish(Experience.model_validate(data), stack.now())
    page = httpx.get(stack.base + "/e/vip-signup?lang=fr")
    assert "<script>alert(1)" not in page.text and "<b>" not in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;&lt;b&gt;Où ?&lt;/b&gt;" in page.text


def test_a_submit_spam_protection_sets_aside_is_thanked_in_the_pages_language(stack: Stack) -> None:
    data = yaml.safe_load((ROOT / "examples" / "vip-signup.yaml").read_text())
    data["settings"]["spam"] = {"min_seconds": 2}
    stack.rt.experiences.publish(Experience.model_validate(data), stack.now())
    with httpx.Client(base_url=stack.base, headers=FRENCH) as c:
        page = c.get("/e/vip-signup")
        quick = c.post(action_of(page), data={"email": "bot@example.com"})  # sooner than a person could
        assert quick.status_code == 200 and "<p>Merci.</p>" in quick.text and '<html lang="fr">' in quick.text
        assert "Rejoignez le club VIP" in quick.text


def test_every_element_type_is_walked_and_shown_in_the_pages_language(stack: Stack) -> None:
    exp, problems = load_definition_file(ROOT / "examples" / "style-profile.yaml")
    assert exp is not None, problems
    french: dict[str, Any] = {}
    for text in texts(exp):  # every text the walk finds, marked: the nesting validate asks for
        *parents, last = text.path
        node = french
        for key in parents:
            node = node.setdefault(key, {})
        node[last] = text.value.replace("Two minutes", "Deux minutes") if last == "text" else "FR " + text.value
    data = exp.stored_form() | {"translations": {"fr": french}}
    stack.rt.experiences.publish(Experience.model_validate(data), stack.now())
    with httpx.Client(base_url=stack.base) as c:
        first = c.get("/e/style-profile?lang=fr")
        assert "<h2>Deux minutes to your style profile</h2>" in first.text  # the content's Markdown, rendered
        assert "FR Up a hill" in first.text and "FR Your ideal weekend" in first.text
        second = c.post(action_of(first), data={"weekend": "city"}, follow_redirects=False)
        wardrobe = c.get(second.headers["location"])
        assert "FR Another colour" in wardrobe.text and "FR Another colour : précisez" in wardrobe.text
        assert ">Choisir…</option>" in wardrobe.text and "FR Relaxed" in wardrobe.text
        assert "Choisissez-en de 2 à 3." in wardrobe.text
        third = c.post(action_of(wardrobe), data={"colours": ["navy", "black"], "fit": "slim"}, follow_redirects=False)
        feedback = c.get(third.headers["location"])
        assert "Pas du tout probable" in feedback.text and "Extrêmement probable" in feedback.text
        assert "FR Anything you can never find?" in feedback.text and ">Suivant</button>" in feedback.text
