"""Request bodies of the user-data endpoints beyond /users/track, as pydantic models, so a bad body
gets a 400 naming the field. Shapes: https://www.braze.com/docs/api/endpoints/user_data/ (alias,
identify, merge, delete), .../subscription_groups/ and .../email/post_email_subscription_status."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from zeroparty.sandbox.rules.identifiers import Identifier

Str = Annotated[str, Field(min_length=1, max_length=987)]
MAX_IDS = 50


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Alias(_Body):
    alias_name: Str
    alias_label: Str


class NewAlias(Alias):
    external_id: Str | None = None


class AliasNew(_Body):
    user_aliases: Annotated[list[NewAlias], Field(min_length=1, max_length=MAX_IDS)]


class AliasUpdate(_Body):
    alias_label: Str
    old_alias_name: Str
    new_alias_name: Str


class AliasUpdates(_Body):
    alias_updates: Annotated[list[AliasUpdate], Field(min_length=1, max_length=MAX_IDS)]


class AliasToIdentify(_Body):
    external_id: Str
    user_alias: Alias


class EmailToIdentify(_Body):
    external_id: Str
    email: Str
    prioritization: list[str] = Field(default_factory=lambda: ["unidentified", "most_recently_updated"])


class Identify(_Body):
    aliases_to_identify: Annotated[list[AliasToIdentify], Field(max_length=MAX_IDS)] = []
    emails_to_identify: Annotated[list[EmailToIdentify], Field(max_length=MAX_IDS)] = []
    merge_behavior: Literal["none", "merge"] = "none"

    @model_validator(mode="after")
    def _something(self) -> Identify:
        if not self.aliases_to_identify and not self.emails_to_identify:
            raise ValueError("give 'aliases_to_identify' or 'emails_to_identify'")
        return self


class UserRef(_Body):
    """One user, by exactly one identifier."""

    external_id: Str | None = None
    user_alias: Alias | None = None
    email: Str | None = None
    phone: Str | None = None

    @model_validator(mode="after")
    def _one(self) -> UserRef:
        given = [k for k in ("external_id", "user_alias", "email", "phone") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError("reference a user by exactly one of external_id, user_alias, email or phone")
        return self


class MergeUpdate(_Body):
    identifier_to_merge: UserRef
    identifier_to_keep: UserRef


class Merge(_Body):
    merge_updates: Annotated[list[MergeUpdate], Field(min_length=1, max_length=MAX_IDS)]


class Delete(_Body):
    external_ids: Annotated[list[Str], Field(max_length=MAX_IDS)] | None = None
    user_aliases: Annotated[list[Alias], Field(max_length=MAX_IDS)] | None = None
    braze_ids: Annotated[list[Str], Field(max_length=MAX_IDS)] | None = None
    email_addresses: Annotated[list[Str], Field(max_length=MAX_IDS)] | None = None
    phone_numbers: Annotated[list[Str], Field(max_length=MAX_IDS)] | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> Delete:
        kinds = [k for k in type(self).model_fields if getattr(self, k) is not None]
        if len(kinds) != 1:
            raise ValueError(
                "give exactly one of external_ids, user_aliases, braze_ids, email_addresses or phone_numbers"
            )
        return self


GroupState = Literal["subscribed", "unsubscribed"]
GROUP_ID = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"


class SubscriptionV1(_Body):
    subscription_group_id: Annotated[str, Field(pattern=GROUP_ID)]
    subscription_state: GroupState
    external_id: Str | Annotated[list[Str], Field(max_length=MAX_IDS)] | None = None
    email: Str | Annotated[list[Str], Field(max_length=MAX_IDS)] | None = None
    phone: Str | Annotated[list[Str], Field(max_length=MAX_IDS)] | None = None


class GroupUpdate(_Body):
    subscription_group_id: Annotated[str, Field(pattern=GROUP_ID)]
    subscription_state: GroupState
    external_ids: Annotated[list[Str], Field(max_length=MAX_IDS)] | None = None
    emails: Annotated[list[Str], Field(max_length=MAX_IDS)] | None = None
    phones: Annotated[list[Str], Field(max_length=MAX_IDS)] | None = None
    use_double_opt_in_logic: bool | None = None

    @model_validator(mode="after")
    def _not_both(self) -> GroupUpdate:
        if self.emails is not None and self.phones is not None:
            raise ValueError("'emails' and 'phones' cannot be combined")
        return self


class SubscriptionV2(_Body):
    subscription_groups: Annotated[list[GroupUpdate], Field(min_length=1, max_length=25)]


class EmailStatus(_Body):
    email: Str | Annotated[list[Str], Field(min_length=1, max_length=MAX_IDS)]
    subscription_state: Literal["subscribed", "unsubscribed", "opted_in"]


def as_list(value: str | list[str] | None) -> list[str]:
    return [] if value is None else [value] if isinstance(value, str) else list(value)


def refs(
    external_ids: str | list[str] | None, emails: str | list[str] | None, phones: str | list[str] | None
) -> list[Identifier]:
    """The users a subscription change names, by external_id, email or phone."""
    return (
        [Identifier("external_id", x) for x in as_list(external_ids)]
        + [Identifier("email", x.lower()) for x in as_list(emails)]
        + [Identifier("phone", x) for x in as_list(phones)]
    )
