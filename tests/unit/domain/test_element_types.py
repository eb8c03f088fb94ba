"""The element types beyond the first seven: choice displays, images, shuffle, min_selected and
"other"; long text; rating, NPS and opinion scales; content. Their answers, static checks, the
way conditions read them and what Braze receives."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from zeroparty.domain.braze_definition import definition_problems, definition_schema
from zeroparty.domain.experience.answers import validate_elements, validate_whole_response
from zeroparty.domain.experience.choices import for_conditions, shuffled
from zeroparty.domain.experience.export_columns import columns
from zeroparty.domain.experience.logic import route
from zeroparty.domain.experience.mapping import profile_attributes
from zeroparty.domain.experience.model import Experience
from zeroparty.domain.experience.outcomes import choose_outcome
from zeroparty.errors import InvalidInput

ASSET = "asset:" + "a" * 64 + ".png"


def _data() -> dict[str, Any]:
    return {
        "slug": "style",
        "title": "Style",
        "screens": [
            {
                "id": "look",
                "title": "Your look",
                "elements": [
                    {"id": "intro", "type": "content", "text": "## Hello\n\nPick **one**."},
                    {
                        "id": "vibe",
                        "type": "single_choice",
                        "label": "Your vibe",
                        "display": "cards",
                        "shuffle": True,
                        "attribute": "style_vibe",
                        "other": {"label": "Something else", "max_length": 20},
                        "options": [
                            {"value": "classic", "label": "Classic", "image": ASSET},
                            {"value": "street", "label": "Street", "image": "https://example.com/s.png"},
                        ],
                    },
                    {
                        "id": "colours",
                        "type": "multi_choice",
                        "label": "Colours",
                        "min_selected": 2,
                        "max_selected": 3,
                        "other": {},
                        "attribute": "style_colours",
                        "options": [{"value": v, "label": v.title()} for v in ("red", "blue", "green", "black")],
                    },
                    {
                        "id": "size",
                        "type": "single_choice",
                        "label": "Size",
                        "display": "dropdown",
                        "options": [{"value": "s", "label": "S"}, {"value": "m", "label": "M"}],
                    },
                ],
            },
            {
                "id": "rate",
                "title": "Rate us",
                "elements": [
                    {"id": "stars", "type": "rating", "label": "Stars", "stars": 7, "attribute": "style_stars"},
                    {"id": "recommend", "type": "nps", "label": "Recommend?", "attribute": "style_nps"},
                    {
                        "id": "fit",
                        "type": "opinion_scale",
                        "label": "Fit",
                        "min": 0,
                        "max": 6,
                        "low_label": "Poor",
                        "high_label": "Great",
                    },
                    {"id": "notes", "type": "long_text", "label": "Notes", "max_length": 30},
                ],
            },
        ],
        "outcomes": [
            {"id": "fan", "title": "Fan", "when": {"element": "recommend", "gte": 9}},
            {"id": "own_way", "title": "Own way", "when": {"element": "vibe", "equals": "other"}},
            {"id": "rest", "title": "Rest"},
        ],
    }


def _exp(data: dict[str, Any] | None = None) -> Experience:
    exp, problems = definition_problems(data or _data())
    assert exp is not None, problems
    return exp


def _problems(mutate: Any) -> list[str]:
    data = copy.deepcopy(_data())
    mutate(data)
    exp, problems = definition_problems(data)
    assert exp is None
    return [f"{p}: {m}" for p, m in problems]


def _look(d: dict[str, Any]) -> list[dict[str, Any]]:
    return d["screens"][0]["elements"]  # type: ignore[no-any-return]


def _rate(d: dict[str, Any]) -> list[dict[str, Any]]:
    return d["screens"][1]["elements"]  # type: ignore[no-any-return]


def test_the_new_options_validate_and_unset_ones_stay_out_of_the_stored_form() -> None:
    exp = _exp()
    stored = exp.stored_form()
    vibe = stored["screens"][0]["elements"][1]
    assert (
        vibe["display"] == "cards"
        and vibe["shuffle"] is True
        and vibe["other"] == {"label": "Something else", "max_length": 20}
    )
    size = stored["screens"][0]["elements"][3]
    assert "shuffle" not in size and "other" not in size and "image" not in size["options"][0]
    assert stored["screens"][0]["elements"][0] == {
        "id": "intro",
        "type": "content",
        "text": "## Hello\n\nPick **one**.",
    }
    spelt_out = copy.deepcopy(_data())
    _look(spelt_out)[3]["shuffle"] = False
    assert _exp(spelt_out).stored_form() == stored


def test_the_schema_describes_the_new_types_and_options() -> None:
    schema = definition_schema()
    defs = schema["$defs"]
    assert {"display", "shuffle", "other"} <= set(defs["SingleChoice"]["properties"])
    assert {"min_selected", "max_selected", "other"} <= set(defs["MultiChoice"]["properties"])
    assert "image" in defs["Option"]["properties"]
    assert {"Rating", "Nps", "OpinionScale", "LongTextInput", "Content"} <= set(defs)
    assert "required" not in defs["Content"]["properties"] and "attribute" not in defs["Content"]["properties"]


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (
            lambda d: _look(d)[1].update(display="grid"),
            "screens[0].elements[1].display: Input should be 'buttons', 'cards' or 'dropdown'",
        ),
        (
            lambda d: _look(d)[2].update(display="dropdown"),
            "screens[0].elements[2].display: a dropdown picks one option; a multi_choice shows buttons or cards",
        ),
        (
            lambda d: _look(d)[1].update(display="buttons"),
            "screens[0].elements[1].options[0].image: an option's image shows on a card; set display: cards",
        ),
        (
            lambda d: _look(d)[1]["options"][0].update(image="http://example.com/a.png"),
            "screens[0].elements[1].options[0].image: must be an https:// URL or an asset name (asset:<sha256>.png)",
        ),
        (
            lambda d: _look(d)[2].update(min_selected=4),
            "screens[0].elements[2].min_selected: must not be above max_selected (3)",
        ),
        (
            lambda d: _look(d)[2].update(min_selected=6, max_selected=None),
            "screens[0].elements[2].min_selected: must not be above the number of choices (5)",
        ),
        (
            lambda d: _look(d)[2].update(min_selected=0),
            "screens[0].elements[2].min_selected: Input should be greater than or equal to 1",
        ),
        (
            lambda d: _look(d)[2]["options"][0].update(value="other"),
            "screens[0].elements[2].options[0].value: 'other' is the value of the other choice; give this option another",
        ),
        (
            lambda d: _look(d)[2].update(other={"max_length": 300}),
            "screens[0].elements[2].other.max_length: Input should be less than or equal to 255",
        ),
        (
            lambda d: _look(d)[1].update(attribute="gender"),
            "screens[0].elements[1].other: Braze's gender takes set values; a typed text cannot fill it",
        ),
        (
            lambda d: _look(d)[0].update(required=True),
            "screens[0].elements[0].required: a content element takes no answer, so it has no required; its text is `text`",
        ),
        (
            lambda d: _look(d)[0].update(colour="red"),
            "screens[0].elements[0].colour: is not a field here; check the spelling",
        ),
        (
            lambda d: _look(d)[0].update(text="[site](http://example.com)"),
            "screens[0].elements[0].text: link 'http://example.com' must be an https:// URL",
        ),
        (
            lambda d: _look(d)[0].update(text="![x](ftp://example.com/x.png)"),
            "screens[0].elements[0].text: image 'ftp://example.com/x.png' must be an https:// URL or an asset name",
        ),
        (lambda d: _look(d)[0].update(text="  "), "screens[0].elements[0].text: is empty; it is required"),
        (
            lambda d: _rate(d)[0].update(stars=11),
            "screens[1].elements[0].stars: Input should be less than or equal to 10",
        ),
        (
            lambda d: _rate(d)[0].update(stars=2),
            "screens[1].elements[0].stars: Input should be greater than or equal to 3",
        ),
        (lambda d: _rate(d)[2].update(min=2), "screens[1].elements[2].min: Input should be less than or equal to 1"),
        (lambda d: _rate(d)[2].update(min=True), "screens[1].elements[2].min: Input should be a valid integer"),
        (lambda d: _rate(d)[2].update(max=4), "screens[1].elements[2].max: Input should be greater than or equal to 5"),
        (
            lambda d: _rate(d)[3].update(max_length=5001),
            "screens[1].elements[3].max_length: Input should be less than or equal to 5000",
        ),
        (
            lambda d: _rate(d)[3].update(attribute="style_notes", max_length=300),
            "screens[1].elements[3].max_length: a string attribute keeps at most 255 characters; set max_length to 255 or less",
        ),
        (
            lambda d: _rate(d)[0].update(attribute="first_name"),
            "screens[1].elements[0].attribute: 'first_name' is Braze's first_name field, which takes a string of at most 255 characters; a rating sends a number",
        ),
        (
            lambda d: d["outcomes"][0]["when"].update(gte=11),
            "outcomes[0].when: 'recommend' is a nps from 0 to 10; compare it with a whole number in it",
        ),
        (
            lambda d: d["outcomes"][0].update(when={"element": "recommend", "includes": "9"}),
            "outcomes[0].when: 'recommend' is a nps; use equals, in, gt, gte, lt, lte or answered, not includes",
        ),
        (
            lambda d: d["outcomes"][0].update(when={"element": "intro", "answered": True}),
            "outcomes[0].when: 'intro' is a content element; it holds no answer to compare",
        ),
        (
            lambda d: d["outcomes"][1]["when"].update(equals="others"),
            "outcomes[1].when: 'others' is not an option of 'vibe'",
        ),
    ],
)
def test_each_static_check_names_its_path(mutate: Any, expected: str) -> None:
    found = _problems(mutate)
    assert expected in found, found


def test_a_long_text_within_brazes_string_limit_may_fill_an_attribute() -> None:
    data = _data()
    _rate(data)[3].update(attribute="style_notes", max_length=255)
    assert _exp(data).stored_form()["screens"][1]["elements"][3]["attribute"] == "style_notes"


def _answer(exp: Experience, raw: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    elements = [el for _s, el in exp.elements().values()]
    clean, problems = validate_elements(elements, raw, exp=exp)
    return clean, {p.field: p.message for p in problems}


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ({"vibe": "classic"}, {"vibe": "classic"}),
        ({"vibe": "  boho  "}, {"vibe": "boho"}),  # the other text, in place of a value
        ({"colours": ["red", "teal"]}, {"colours": ["red", "teal"]}),
        ({"stars": "7", "recommend": 0, "fit": "0"}, {"stars": 7, "recommend": 0, "fit": 0}),
        ({"notes": "Line one\r\nLine two\r\n"}, {"notes": "Line one\nLine two"}),
        ({"intro": ""}, {}),
    ],
)
def test_good_answers_are_stored_in_their_clean_form(raw: dict[str, Any], clean: dict[str, Any]) -> None:
    assert _answer(_exp(), raw) == (clean, {})


@pytest.mark.parametrize(
    ("raw", "field", "message"),
    [
        ({"vibe": "other"}, "vibe", "needs a text typed in for 'Something else'"),
        ({"vibe": "x" * 21}, "vibe", "needs a shorter text for 'Something else': at most 20 characters"),
        ({"vibe": "two\nlines"}, "vibe", "must not contain control character U+000A"),
        ({"colours": ["red"]}, "colours", "needs at least 2 selected"),
        ({"colours": ["red", "blue", "green", "black"]}, "colours", "at most 3 may be selected"),
        (
            {"colours": ["red", "teal", "mauve"]},
            "colours",
            "takes one text for 'Other'; the others must be options ['black', 'blue', 'green', 'red']",
        ),
        ({"colours": ["red", "other"]}, "colours", "needs a text typed in for 'Other'"),
        ({"size": "xl"}, "size", "'xl' is not an option; expected one of ['s', 'm']"),
        ({"stars": 8}, "stars", "must be a whole number from 1 to 7"),
        ({"stars": 2.5}, "stars", "must be a whole number from 1 to 7"),
        ({"recommend": True}, "recommend", "must be a whole number from 0 to 10"),
        ({"fit": "7"}, "fit", "must be a whole number from 0 to 6"),
        ({"notes": "x" * 31}, "notes", "must be at most 30 characters"),
        ({"notes": "bad\x00"}, "notes", "must not contain a NUL character"),
        ({"intro": "hello"}, "intro", "is a content element ('intro'); it takes no answer"),
    ],
)
def test_bad_answers_name_their_element(raw: dict[str, Any], field: str, message: str) -> None:
    assert _answer(_exp(), raw)[1] == {field: message}


def test_the_json_api_takes_scales_with_the_choices_and_long_text_with_the_inputs() -> None:
    exp = _exp()
    clean = validate_whole_response(exp, {"vibe": "street", "stars": 5, "recommend": 10}, {"notes": "Fine"})
    assert clean == {"vibe": "street", "stars": 5, "recommend": 10, "notes": "Fine"}
    with pytest.raises(InvalidInput) as refused:
        validate_whole_response(exp, {"colours": ["red"], "intro": "x"}, {"stars": 3})
    found = {e.field: e.message for e in refused.value.errors}
    assert found == {
        "inputs.stars": "'stars' is a rating; send it under 'answers'",
        "answers.colours": "needs at least 2 selected",
        "answers.intro": "is a content element ('intro'); it takes no answer",
    }


def test_conditions_read_an_other_text_as_other_and_scales_as_numbers() -> None:
    exp = _exp()
    assert choose_outcome(exp, {"vibe": "boho", "recommend": 3}).id == "own_way"
    assert choose_outcome(exp, {"vibe": "boho", "recommend": 9}).id == "fan"
    assert choose_outcome(exp, {"vibe": "classic", "recommend": 8}).id == "rest"
    assert for_conditions(exp, {"colours": ["red", "teal"], "vibe": "street"}) == {
        "colours": ["red", "other"],
        "vibe": "street",
    }
    assert route(exp, {"vibe": "boho"}).path == ("look", "rate")


def test_braze_gets_the_typed_text_and_the_scales_as_numbers() -> None:
    exp = _exp()
    answers = {"vibe": "boho", "colours": ["red", "teal"], "stars": 6, "recommend": 0, "notes": "Hi"}
    assert profile_attributes(exp, answers, None) == {
        "style_vibe": "boho",
        "style_colours": ["red", "teal"],
        "style_stars": 6,
        "style_nps": 0,
    }


def test_export_has_a_column_per_answering_element_and_none_for_content() -> None:
    assert columns(_exp())[5:] == ["vibe", "colours", "size", "stars", "recommend", "fit", "notes"]


def test_a_shuffle_is_stable_per_seed_and_differs_between_seeds() -> None:
    items = list(range(10))
    first = shuffled(items, "resp-1", "vibe")
    assert shuffled(items, "resp-1", "vibe") == first and sorted(first) == items
    orders = {tuple(shuffled(items, f"resp-{i}", "vibe")) for i in range(20)}
    assert len(orders) > 10
    assert shuffled(items, "resp-1", "colours") != first


def test_an_other_answer_counts_towards_the_array_limit() -> None:
    from zeroparty.domain.array_limit import possible_selections
    from zeroparty.domain.experience.elements import MultiChoice

    [colours] = [el for _s, el in _exp().elements().values() if el.id == "colours"]
    assert isinstance(colours, MultiChoice)
    assert possible_selections(colours.model_copy(update={"max_selected": None})) == 5  # four options and other


_ANY = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-20, max_value=20),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=40),
    st.sampled_from(["other", " other ", "classic", "red", "7", "0", "\r\n", "x\ty"]),
    st.lists(st.one_of(st.text(max_size=10), st.sampled_from(["red", "blue", "other", " teal "])), max_size=5),
)


@settings(max_examples=300, deadline=None)
@given(
    st.dictionaries(st.sampled_from(["intro", "vibe", "colours", "size", "stars", "recommend", "fit", "notes"]), _ANY)
)
def test_any_submitted_value_is_refused_by_name_or_kept_in_a_form_that_reads_back_the_same(raw: dict[str, Any]) -> None:
    exp = _exp()
    clean, problems = _answer(exp, raw)
    assert set(problems) <= set(raw)  # every problem names an element given
    # Stored answers are checked again later (a required answer on a revisited screen): their
    # clean form must pass unchanged.
    assert _answer(exp, clean) == (clean, {})


def test_a_test_send_answers_the_new_types_too() -> None:
    from zeroparty.domain.synthetic import synthetic_answers

    answers = synthetic_answers(_exp())
    assert answers["stars"] == 7 and answers["recommend"] == 10 and answers["fit"] == 6
    assert answers["vibe"] == "classic" and "intro" not in answers
    assert answers["colours"] == ["red", "blue"] and answers["notes"] == "Zeroparty test"  # min_selected: 2


def test_option_and_content_images_are_assets_the_import_checks() -> None:
    from zeroparty.domain.assets import reference_paths

    data = _data()
    _look(data)[0]["text"] = f"Look: ![a look]({ASSET})"
    paths = [path for path, _name in reference_paths(_exp(data).stored_form())]
    assert paths == ["screens[0].elements[0].text", "screens[0].elements[1].options[0].image"]


def test_export_columns_end_with_the_hidden_fields_keys() -> None:
    data = _data()
    data["hidden_fields"] = [{"key": "utm_source"}, {"key": "utm_campaign"}]
    assert columns(_exp(data))[-3:] == ["notes", "utm_source", "utm_campaign"]
