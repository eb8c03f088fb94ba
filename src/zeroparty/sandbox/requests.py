"""Request bodies of the user-data endpoints beyond /users/track, as pydantic models, so a bad body
gets a 400 naming the field. Shapes: https://www.braze.com/docs/api/endpoints/user_data/post_user_alias ,
.../post_users_alias_update, .../post_user_identify, .../post_users_merge, .../post_user_delete,
https://www.braze.com/docs/api/endpoints/subscription_groups/post_update_user_subscription_group_status
(and its v2), https://www.braze.com/docs/api/endpoints/email/post_email_subscription_status ,
https://www.braze.com/docs/api/endpoints/export/user_data/post_users_identifier .
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from zeroparty.sandbox.rules.export_object import fields_to_export_problem
from zeroparty.sandbox.rules.fields import is_uuid
from zeroparty.sandbox.rules.identifiers import MAX_EXTERNAL_ID_BYTES, Identifier, prioritization_problem

MAX_IDS = 50  # "Up to 50 … can be included in a single request" on each of these pages


def _external_id(value: str) -> str:
    if len(value.encode()) > MAX_EXTERNAL_ID_BYTES:
        raise ValueError("'external_id' must be fewer than 988 bytes")
    return value


def _prioritization(value: list[str]) -> list[str]:
    problem = prioritization_problem(value)
    if problem:
        raise ValueError(problem)
    return value


def _group_id(value: str) -> str:
    if not is_uuid(value):
        raise ValueError("'subscription_group_id' must be a valid UUID")
    return value


Str = Annotated[str, Field(min_length=1, max_length=255)]
ExternalId = Annotated[str, Field(min_length=1), AfterValidator(_external_id)]
Prioritization = Annotated[list[str], AfterValidator(_prioritization)]
GroupId = Annotated[str, AfterValidator(_group_id)]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Alias(_Body):
    alias_name: Str
    alias_label: Str


class NewAlias(Alias):
    external_id: ExternalId | None = None


class AliasNew(_Body):
    user_aliases: Annotated[list[NewAlias], Field(min_length=1, max_length=MAX_IDS)]


class AliasUpdate(_Body):
    alias_label: Str
    old_alias_name: Str
    new_alias_name: Str


class AliasUpdates(_Body):
    alias_updates: Annotated[list[AliasUpdate], Field(min_length=1, max_length=MAX_IDS)]


class AliasToIdentify(_Body):
    external_id: ExternalId
    user_alias: Alias


class EmailToIdentify(_Body):
    external_id: ExternalId
    email: Str
    prioritization: Prioritization


class PhoneToIdentify(_Body):
    external_id: ExternalId
    phone: Str
    prioritization: Prioritization


class Identify(_Body):
    aliases_to_identify: Annotated[list[AliasToIdentify], Field(max_length=MAX_IDS)] = []
    emails_to_identify: Annotated[list[EmailToIdentify], Field(max_length=MAX_IDS)] = []
    phone_numbers_to_identify: Annotated[list[PhoneToIdentify], Field(max_length=MAX_IDS)] = []
    # Accepted for older clients and ignored: since August 7, 2023 every call merges data
    # (https://github.com/braze-inc/braze-docs/pull/5763, on
    # https://www.braze.com/docs/api/endpoints/user_data/post_user_identify).
    merge_behavior: Literal["none", "merge"] = "merge"

    @model_validator(mode="after")
    def _something(self) -> Identify:
        if not (self.aliases_to_identify or self.emails_to_identify or self.phone_numbers_to_identify):
            raise ValueError(
                "one of 'aliases_to_identify', 'emails_to_identify' or 'phone_numbers_to_identify' is required"
            )
        return self


class UserRef(BaseModel):
    """One user: external_id, user_alias, or email / phone with a prioritization."""

    model_config = ConfigDict(extra="forbid")
    external_id: str | None = None
    user_alias: Alias | None = None
    email: str | None = None
    phone: str | None = None
    prioritization: Prioritization | None = None

    @model_validator(mode="after")
    def _one(self) -> UserRef:
        given = [k for k in ("external_id", "user_alias", "email", "phone") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError("reference a user by exactly one of external_id, user_alias, email or phone")
        if given[0] in ("email", "phone") and self.prioritization is None:
            raise ValueError(f"'prioritization' is required with '{given[0]}'")
        return self

    def identifier(self) -> Identifier:
        if self.external_id is not None:
            return Identifier("external_id", self.external_id)
        if self.user_alias is not None:
            return Identifier("user_alias", (self.user_alias.alias_name, self.user_alias.alias_label))
        if self.email is not None:
            return Identifier("email", self.email.strip().lower())
        return Identifier("phone", str(self.phone))


class MergeUpdate(BaseModel):
    identifier_to_merge: UserRef
    identifier_to_keep: UserRef


BAD_IDENTIFIERS = (
    "identifiers must be objects with an 'external_id' property that is a string, 'user_alias' property that is "
    "an object, 'email' property that is a string, or 'phone' property that is a string"
)


def merge_problem(body: dict[str, Any]) -> str | None:
    """Braze's own messages for a bad /users/merge body ("Troubleshooting" on its page)."""
    updates = body.get("merge_updates")
    if not isinstance(updates, list) or not all(isinstance(u, dict) for u in updates):
        return "'merge_updates' must be an array of objects"
    if len(updates) > MAX_IDS:
        return "a single request may not contain more than 50 merge updates"
    if any(set(u) != {"identifier_to_merge", "identifier_to_keep"} for u in updates):
        return "'merge_updates' must only have 'identifier_to_merge' and 'identifier_to_keep'"
    for u in updates:
        for ref in u.values():
            if not isinstance(ref, dict) or not any(
                isinstance(ref.get(k), t)
                for k, t in (("external_id", str), ("user_alias", dict), ("email", str), ("phone", str))
            ):
                return BAD_IDENTIFIERS
    return None


class Merge(BaseModel):
    merge_updates: list[MergeUpdate]


class AddressRef(_Body):
    email: Str | None = None
    phone: Str | None = None
    prioritization: Prioritization

    @model_validator(mode="after")
    def _one(self) -> AddressRef:
        if (self.email is None) == (self.phone is None):
            raise ValueError("give exactly one of 'email' or 'phone' with the 'prioritization'")
        return self


class Delete(_Body):
    external_ids: Annotated[list[ExternalId], Field(max_length=MAX_IDS)] | None = None
    user_aliases: Annotated[list[Alias], Field(max_length=MAX_IDS)] | None = None
    braze_ids: Annotated[list[Str], Field(max_length=MAX_IDS)] | None = None
    # Strings (the older pages) name every user with the address; objects carry a prioritization.
    email_addresses: Annotated[list[Str | AddressRef], Field(max_length=MAX_IDS)] | None = None
    phone_numbers: Annotated[list[Str | AddressRef], Field(max_length=MAX_IDS)] | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> Delete:
        kinds = [k for k in type(self).model_fields if getattr(self, k) is not None]
        if len(kinds) != 1:
            raise ValueError(
                "give exactly one of external_ids, user_aliases, braze_ids, email_addresses or phone_numbers"
            )
        return self


GroupState = Literal["subscribed", "unsubscribed"]
OneOrMany = Str | Annotated[list[Str], Field(max_length=MAX_IDS)]


class SubscriptionV1(_Body):
    subscription_group_id: GroupId
    subscription_state: GroupState
    external_id: OneOrMany | None = None
    email: OneOrMany | None = None
    phone: OneOrMany | None = None
    use_double_opt_in_logic: bool | None = None


class GroupUpdate(_Body):
    subscription_group_id: GroupId
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


class Export(_Body):
    external_ids: Annotated[list[ExternalId], Field(max_length=MAX_IDS)] | None = None
    user_aliases: Annotated[list[Alias], Field(max_length=MAX_IDS)] | None = None
    device_id: Str | None = None
    braze_id: Str | None = None
    email_address: Str | None = None
    phone: Str | None = None
    fields_to_export: list[str] | None = None

    @model_validator(mode="after")
    def _identifiers(self) -> Export:
        singles = [k for k in ("device_id", "braze_id", "email_address", "phone") if getattr(self, k) is not None]
        if len(singles) > 1:
            raise ValueError("only one of device_id, braze_id, email_address or phone may be given")
        if not singles and not self.external_ids and not self.user_aliases:
            raise ValueError("give external_ids, user_aliases, device_id, braze_id, email_address or phone")
        problem = fields_to_export_problem(self.fields_to_export)
        if problem:
            raise ValueError(problem)
        return self


def export_problem(body: dict[str, Any]) -> str | None:
    """The 50-identifier limit answers Braze's own message (https://www.braze.com/docs/api/errors)."""
    for key in ("external_ids", "user_aliases"):
        if isinstance(body.get(key), list) and len(body[key]) > MAX_IDS:
            return "The max number of external_ids and aliases per request was exceeded"
    return None


def as_list(value: str | list[str] | None) -> list[str]:
    return [] if value is None else [value] if isinstance(value, str) else list(value)


def refs(
    external_ids: str | list[str] | None, emails: str | list[str] | None, phones: str | list[str] | None
) -> list[Identifier]:
    """The users a subscription change names, by external_id, email or phone."""
    return (
        [Identifier("external_id", x) for x in as_list(external_ids)]
        + [Identifier("email", x.strip().lower()) for x in as_list(emails)]
        + [Identifier("phone", x) for x in as_list(phones)]
    )
