"""The newer element types over HTTP: the JSON API refuses too few selections naming the element
and stores nothing; the hosted form keeps a shuffled order across an error and a reload, sends an
"other" answer's text, keeps a text area's lines and still refuses a line break in a one-line box."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.stack import Stack, running_stack
from zeroparty.domain.experience.model import Experience

OPTIONS = [{"value": f"o{i}", "label": f"Option {i}"} for i in range(12)]
DEFINITION: dict[str, Any] = {
    "slug": "shuffled",
    "title": "Shuffled",
    "screens": [
        {
            "id": "first",
            "title": "First",
            "elements": [
                {
                    "id": "pick",
                    "type": "single_choice",
                    "label": "Pick",
                    "required": True,
                    "shuffle": True,
                    "options": OPTIONS,
                },
                {"id": "note", "type": "text", "label": "Note"},
            ],
        },
        {
            "id": "second",
            "title": "Second",
            "elements": [
                {
                    "id": "many",
                    "type": "multi_choice",
                    "label": "Many",
                    "shuffle": True,
                    "min_selected": 2,
                    "other": {"label": "Something else"},
                    "options": OPTIONS,
                },
                {"id": "story", "type": "long_text", "label": "Story"},
                {
                    "id": "score",
                    "type": "opinion_scale",
                    "label": "Score",
                    "min": 0,
                    "max": 7,
                    "low_label": "<script>alert(1)</script>",
                    "high_label": "<b>Top</b>",
                },
            ],
        },
    ],
    "outcomes": [{"id": "done", "title": "Done"}],
}


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[Stack]:
    with running_stack(tmp_path, worker=False, sandbox=False, destination=False) as s:
        s.rt.experiences.publish(Experience.model_validate(DEFINITION), s.now())
        yield s


def _order(html: str, name: str) -> list[str]:
    return re.findall(rf'name="{name}"\s+value="(o\d+)"', html)


def test_the_api_refuses_too_few_selections_by_element_and_stores_nothing(stack: Stack) -> None:
    url = f"{stack.base}/api/v1/experiences/shuffled/responses"
    before = stack.row_counts()
    refused = httpx.post(url, json={"answers": {"pick": "o1", "many": ["o2"], "score": 3}})
    assert refused.status_code == 422
    assert {"field": "answers.many", "message": "needs at least 2 selected"} in refused.json()["errors"]
    assert stack.row_counts() == before
    body = {"answers": {"pick": "o1", "many": ["o2", "Mauve"], "score": 0}, "inputs": {"story": "One\ntwo"}}
    stored = httpx.post(url, json=body)
    assert stored.status_code == 201, stored.text
    status = httpx.get(f"{stack.base}/api/v1/responses/{stored.json()['id']}", headers=stack.auth).json()
    assert status["answers"] == {"pick": "o1", "many": ["o2", "Mauve"], "score": 0, "story": "One\ntwo"}


def test_a_shuffled_order_survives_an_error_and_a_reload(stack: Stack) -> None:
    with httpx.Client(base_url=stack.base) as c:
        page = c.get("/e/shuffled").text
        shown = _order(page, "pick")
        assert sorted(shown) == sorted(o["value"] for o in OPTIONS) and shown != [o["value"] for o in OPTIONS]
        seed = re.search(r'name="zp_order" value="([0-9a-f]+)"', page)
        assert seed is not None
        # A one-line box refuses a line break (the form itself may carry one, for a text area).
        again = c.post("/e/shuffled", data={"zp_order": seed.group(1), "pick": "o3", "note": "a\nb"})
        assert again.status_code == 422 and "Note must not contain control character U+000A" in again.text
        assert _order(again.text, "pick") == shown
        second = c.post("/e/shuffled", data={"pick": "o3"}, follow_redirects=False).headers["location"]
        shown_second = c.get(second).text
        first_view = _order(shown_second, "many")
        # Author text is shown as text, never as markup.
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in shown_second and "<script>alert" not in shown_second
        assert "&lt;b&gt;Top&lt;/b&gt;" in shown_second
        assert _order(c.get(second).text, "many") == first_view  # drawn from the response id
        empty = c.post(second, data={"many": ["o1", "other"], "many.other": " "})
        assert empty.status_code == 422
        assert "Many needs a text typed in for &#39;Something else&#39;" in empty.text
        assert _order(empty.text, "many") == first_view
        done = c.post(
            second,
            data={"many": ["o1", "other"], "many.other": "Mauve", "story": "Line one\r\nLine two", "score": "7"},
            follow_redirects=False,
        )
        assert done.status_code == 303, done.text
    response_id = second.split("/")[4]
    answers = httpx.get(f"{stack.base}/api/v1/responses/{response_id}", headers=stack.auth).json()["answers"]
    assert answers == {"pick": "o3", "many": ["o1", "Mauve"], "story": "Line one\nLine two", "score": 7}
