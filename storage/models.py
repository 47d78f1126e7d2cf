"""Tortoise models. Repositories turn rows into domain dataclasses; nothing else sees them."""

from tortoise import fields
from tortoise.models import Model


class UserRow(Model):
    id = fields.IntField(primary_key=True)
    telegram_id = fields.BigIntField(unique=True)
    first_name = fields.CharField(max_length=128)
    last_name = fields.CharField(max_length=128, null=True)
    username = fields.CharField(max_length=64, null=True)
    display_name = fields.CharField(max_length=64, null=True)
    language = fields.CharField(max_length=8, null=True)
    telegram_language = fields.CharField(max_length=16, null=True)
    phone = fields.CharField(max_length=16, null=True)
    is_blocked = fields.BooleanField(default=False)
    marketing_opt_in = fields.BooleanField(default=False)
    referral_code = fields.CharField(max_length=32, unique=True)
    referrer: fields.ForeignKeyNullableRelation["UserRow"] = fields.ForeignKeyField(
        "models.UserRow", related_name="referred", null=True, on_delete=fields.SET_NULL
    )
    referrer_id: int | None
    created_at = fields.DatetimeField(auto_now_add=True)
    last_seen_at = fields.DatetimeField()

    class Meta:
        table = "users"


class AddressRow(Model):
    id = fields.IntField(primary_key=True)
    user: fields.ForeignKeyRelation[UserRow] = fields.ForeignKeyField(
        "models.UserRow", related_name="addresses", on_delete=fields.CASCADE
    )
    user_id: int
    recipient = fields.CharField(max_length=64)
    phone = fields.CharField(max_length=16)
    city = fields.CharField(max_length=64)
    street = fields.CharField(max_length=128)
    postcode = fields.CharField(max_length=12, null=True)
    is_default = fields.BooleanField(default=False)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "addresses"
        indexes = (("user_id", "id"),)
