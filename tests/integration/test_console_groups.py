"""A destination's subscription groups in the console: every consent key the workspace's experiences
ask for is listed, unmapped ones flagged; an owner maps one to a group and channel through the
same checks as `destinations set`, a bad id is named beside its field and nothing is saved."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.console import People, people, post_form, signed_in
from tests.support.stack import Stack, publish_samples, running_stack

GROUP = "3f2b6c1e-8a4d-4f7e-9b1a-2c3d4e5f6a7b"


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    with running_stack(tmp_path_factory.mktemp("console-groups"), worker=False) as s:
        publish_samples(s, "vip-signup.yaml")
        yield s


@pytest.fixture(scope="module")
def who(stack: Stack) -> People:
    return people(stack)


def test_consents_are_listed_mapped_with_checks_and_saved_once_valid(stack: Stack, who: People) -> None:
    page = f"/admin/w/{who.first.slug}/destinations/sandbox/groups"
    with signed_in(stack, who.owner) as c:
        shown = c.get(page)
        assert shown.status_code == 200
        assert shown.text.count("not mapped") == 2 and "newsletter" in shown.text and "sms_offers" in shown.text
        bad = post_form(c, page, {"group.newsletter": "nope", "group.sms_offers": ""}, page)
        assert bad.status_code == 422 and 'id="group.newsletter-error"' in bad.text and 'value="nope"' in bad.text
        assert stack.rt.destinations.settings("sandbox").subscription_groups == {}
        good = post_form(
            c, page, {"group.sms_offers": GROUP, "channel.sms_offers": "sms", "group.newsletter": ""}, page
        )
        assert good.status_code == 303
        assert "Subscription groups saved." in c.get(good.headers["location"]).text
    saved = stack.rt.destinations.settings("sandbox").subscription_groups
    assert set(saved) == {"sms_offers"} and (saved["sms_offers"].id, saved["sms_offers"].channel) == (GROUP, "sms")
    with signed_in(stack, who.viewer) as c:
        read_only = c.get(page)
    assert (
        read_only.status_code == 200
        and "readonly" in read_only.text
        and "Save subscription groups" not in read_only.text
    )
    assert read_only.text.count("not mapped") == 1
