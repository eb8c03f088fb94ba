"""The static checks of outcome strategies: one test per check, with its exact `path: message`."""

from __future__ import annotations

import copy
from typing import Any

from zeroparty.domain.braze_definition import definition_problems
from zeroparty.domain.experience.feed import parse_catalogue

CSV = (
    "id,title,price,currency,image,url,skin_type\n"
    "a,Cleanser,12.50,EUR,https://img.example.com/a.jpg,https://example.com/a,dry|normal\n"
    "b,Serum,20,,https://img.example.com/b.jpg,https://example.com/b,oily\n"
)


def _feed() -> dict[str, Any]:
    catalogue, problems = parse_catalogue(CSV, "products.csv")
    assert catalogue is not None, problems
    products = [p.model_dump(mode="json", exclude_none=True) for p in catalogue.products]
    return {"file": "products.csv", "columns": list(catalogue.columns), "products": products}


def _quiz(strategy: str | None = "weights", **extra: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "slug": "quiz",
        "title": "Quiz",
        "screens": [
            {
                "id": "s1",
                "title": "One",
                "elements": [
                    {
                        "id": "q1",
                        "type": "single_choice",
                        "label": "Pick",
                        "options": [{"value": "x", "label": "X"}, {"value": "y", "label": "Y"}],
                    }
                ],
            }
        ],
        "outcomes": [{"id": "first", "title": "First"}, {"id": "second", "title": "Second"}],
    }
    if strategy is not None:
        data["outcome_strategy"] = strategy
    data.update(extra)
    return data


def _with_option(data: dict[str, Any], **fields: Any) -> dict[str, Any]:
    data = copy.deepcopy(data)
    data["screens"][0]["elements"][0]["options"][0].update(fields)
    return data


def _problems(data: dict[str, Any]) -> list[str]:
    exp, problems = definition_problems(data)
    assert exp is None
    return [f"{path}: {message}" for path, message in problems]


OPTION = "screens[0].elements[0].options[0]"


def test_a_weight_names_an_existing_outcome() -> None:
    data = _with_option(_quiz(), weights={"first": 3, "third": 2})
    assert _problems(data) == [f"{OPTION}.weights.third: unknown outcome 'third'"]


def test_weights_are_between_minus_ten_and_ten() -> None:
    data = _with_option(_quiz(), weights={"first": 11})
    assert _problems(data) == [f"{OPTION}.weights.first: Input should be less than or equal to 10"]


def test_weights_need_the_weights_strategy() -> None:
    data = _with_option(_quiz(None, outcomes=[{"id": "first", "title": "First"}]), weights={"first": 3})
    assert _problems(data) == [f"{OPTION}.weights: weights only count when outcome_strategy is weights"]


def test_the_weights_strategy_needs_weights() -> None:
    assert _problems(_quiz()) == ["outcome_strategy: weights needs at least one option with weights"]


def test_an_outcome_picked_by_a_strategy_has_no_when() -> None:
    data = _with_option(_quiz(), weights={"first": 3})
    data["outcomes"][0]["when"] = {"element": "q1", "equals": "x"}
    assert _problems(data) == ["outcomes[0].when: outcome_strategy weights picks the outcome; 'when' does not apply"]


def _trivia(bands: list[dict[str, Any]]) -> dict[str, Any]:
    return _with_option(_quiz("score", score_bands=bands), correct=True)


def test_a_score_band_names_an_existing_outcome() -> None:
    bands = [{"min": 0, "max": 0, "outcome": "first"}, {"min": 1, "max": 1, "outcome": "third"}]
    assert _problems(_trivia(bands)) == ["score_bands[1].outcome: unknown outcome 'third'"]


def test_score_bands_do_not_overlap() -> None:
    bands = [{"min": 0, "max": 1, "outcome": "first"}, {"min": 1, "max": 1, "outcome": "second"}]
    assert _problems(_trivia(bands)) == ["score_bands[1]: overlaps score_bands[0] at score 1"]


def test_score_bands_cover_every_score() -> None:
    bands = [{"min": 1, "max": 1, "outcome": "first"}]
    assert _problems(_trivia(bands)) == ["score_bands: no band covers score 0; cover 0 to 1"]


def test_a_score_band_stays_within_the_highest_score() -> None:
    bands = [{"min": 0, "max": 3, "outcome": "first"}]
    assert _problems(_trivia(bands)) == ["score_bands[0].max: the highest score is 1"]


def test_a_score_band_runs_low_to_high() -> None:
    bands = [{"min": 0, "max": 1, "outcome": "first"}, {"min": 1, "max": 0, "outcome": "second"}]
    assert _problems(_trivia(bands)) == ["score_bands[1].max: must not be below min (1)"]


def test_the_score_strategy_needs_bands() -> None:
    data = _with_option(_quiz("score"), correct=True)
    assert _problems(data) == ["score_bands: outcome_strategy score needs score bands ({min, max, outcome})"]


def test_the_score_strategy_needs_a_right_answer() -> None:
    data = _quiz("score", score_bands=[{"min": 0, "max": 0, "outcome": "first"}])
    assert _problems(data) == ["outcome_strategy: score needs at least one option marked correct: true"]


def test_right_answers_need_the_score_strategy() -> None:
    data = _with_option(_quiz(None, outcomes=[{"id": "first", "title": "First"}]), correct=True)
    assert _problems(data) == ["outcome_strategy: options are marked correct, which only counts when it is score"]


def test_a_tag_names_a_feed_column() -> None:
    data = _with_option(_quiz("feed", feed=_feed()), tags={"finish": ["matte"]})
    data["outcomes"] = [{"id": "first", "title": "First"}]
    assert _problems(data) == [f"{OPTION}.tags.finish: unknown feed column 'finish'; the feed has skin_type"]


def test_a_tag_value_is_held_by_some_product() -> None:
    data = _with_option(_quiz("feed", feed=_feed()), tags={"skin_type": ["dry", "sensitive"]})
    data["outcomes"] = [{"id": "first", "title": "First"}]
    assert _problems(data) == [f"{OPTION}.tags.skin_type: no product has 'sensitive' in column 'skin_type'"]


def test_tags_need_the_feed_strategy() -> None:
    data = _with_option(_quiz(None, outcomes=[{"id": "first", "title": "First"}]), tags={"skin_type": ["dry"]})
    assert _problems(data) == [f"{OPTION}.tags: tags only count when outcome_strategy is feed"]


def test_the_feed_strategy_needs_a_feed() -> None:
    data = _quiz("feed", outcomes=[{"id": "first", "title": "First"}])
    assert _problems(data) == ["feed: outcome_strategy feed needs a feed (file: products.csv)"]


def test_a_feed_without_its_products_was_not_read() -> None:
    data = _quiz("feed", outcomes=[{"id": "first", "title": "First"}], feed={"file": "products.csv"})
    assert _problems(data) == ["feed: the catalogue is empty: name its CSV with `file:` beside the definition"]


def test_a_cta_url_is_https() -> None:
    data = _quiz(None, outcomes=[{"id": "first", "title": "First", "cta": {"label": "Go", "url": "http://x.example"}}])
    assert _problems(data) == ["outcomes[0].cta.url: must be an https:// URL"]


def test_an_outcome_image_is_https_or_an_asset() -> None:
    data = _quiz(None, outcomes=[{"id": "first", "title": "First", "image": "javascript:alert(1)"}])
    assert _problems(data) == ["outcomes[0].image: must be an https:// URL or an asset name (asset:<sha256>.png)"]


def test_a_redirect_ending_needs_its_url() -> None:
    data = _quiz(None, outcomes=[{"id": "first", "title": "First", "ending": "redirect"}])
    assert _problems(data) == ["outcomes[0].redirect_url: a redirect ending needs an https:// URL to go to"]


def test_a_redirect_url_is_https() -> None:
    outcome = {"id": "first", "title": "First", "ending": "redirect", "redirect_url": "http://example.com/"}
    assert _problems(_quiz(None, outcomes=[outcome])) == ["outcomes[0].redirect_url: must be an https:// URL"]


def test_only_a_redirect_ending_has_a_url() -> None:
    outcome = {"id": "first", "title": "First", "redirect_url": "https://example.com/", "pass_values": True}
    assert _problems(_quiz(None, outcomes=[outcome])) == [
        "outcomes[0].redirect_url: only a redirect ending goes to a URL; set ending: redirect",
        "outcomes[0].pass_values: values are only appended to a redirect ending's URL",
    ]


def test_strategy_checks_still_run_when_another_field_is_broken() -> None:
    data = _with_option(_quiz(), weights={"third": 2})
    del data["title"]
    assert _problems(data) == ["title: Field required", f"{OPTION}.weights.third: unknown outcome 'third'"]


def test_an_inline_catalogue_has_unique_ids_and_known_columns() -> None:
    feed = _feed()
    twice = {**feed, "products": [feed["products"][0], feed["products"][0]]}
    data = _quiz("feed", outcomes=[{"id": "first", "title": "First"}], feed=twice)
    assert _problems(data) == ["feed: product id 'a' appears more than once"]
    data["feed"] = {**feed, "columns": []}
    assert _problems(data) == ["feed: products are tagged in 'skin_type', which is not one of the columns"]
