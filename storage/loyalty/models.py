"""Tortoise models of the loyalty app (label "loyalty"): accounts, the points ledger, spend
counted for tiers, and the loyalty part of each order.

The account row's `balance` is the sum of the user's ledger rows; both change in one
transaction, the balance only through conditional atomic updates (never below zero).
"""

from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from storage.models import UserRow


class LoyaltyAccountRow(Model):
    id = fields.IntField(primary_key=True)
    user: fields.OneToOneRelation["UserRow"] = fields.OneToOneField(
        "models.UserRow", related_name="loyalty_account", on_delete=fields.CASCADE
    )
    user_id: int
    balance = fields.BigIntField(default=0)

    class Meta:
        table = "loyalty_accounts"


class LoyaltyEntryRow(Model):
    id = fields.IntField(primary_key=True)
    user: fields.ForeignKeyRelation["UserRow"] = fields.ForeignKeyField(
        "models.UserRow", related_name="loyalty_entries", on_delete=fields.CASCADE
    )
    user_id: int
    kind = fields.CharField(max_length=12)  # earn/redeem/expire/reversal/adjust/referral
    points = fields.BigIntField()  # signed
    # Unique per cause ("earn:<order>", "redeem:<order>", "ref:referrer:<user>", ...); NULL
    # for owners' adjustments, which may repeat. The database refuses a second row.
    key = fields.CharField(max_length=64, null=True, unique=True)
    order_id = fields.IntField(null=True, db_index=True)
    reason = fields.CharField(max_length=200, default="")
    actor = fields.CharField(max_length=40, default="system")
    expires_at = fields.DatetimeField(null=True)  # credits only
    settled = fields.BooleanField(default=False)  # expiry of this credit has been handled
    created_at = fields.DatetimeField()

    class Meta:
        table = "loyalty_entries"
        indexes = (("user_id", "id"), ("settled", "expires_at"))


class LoyaltySpendRow(Model):
    """A completed order's goods amount, counted towards tiers over the rolling window."""

    id = fields.IntField(primary_key=True)
    order_id = fields.IntField(unique=True)
    user: fields.ForeignKeyRelation["UserRow"] = fields.ForeignKeyField(
        "models.UserRow", related_name="loyalty_spend", on_delete=fields.CASCADE
    )
    user_id: int
    amount = fields.BigIntField()
    reversed = fields.BooleanField(default=False)  # refunded: no longer counts
    at = fields.DatetimeField()

    class Meta:
        table = "loyalty_spend"
        indexes = (("user_id", "at"),)


class LoyaltyOrderRow(Model):
    """What loyalty took off an order, written with the order in one transaction."""

    id = fields.IntField(primary_key=True)
    order_id = fields.IntField(unique=True)
    user_id = fields.IntField()
    points_redeemed = fields.BigIntField(default=0)
    points_discount = fields.BigIntField(default=0)
    tier_name = fields.CharField(max_length=32, null=True)
    tier_discount = fields.BigIntField(default=0)
    created_at = fields.DatetimeField()

    class Meta:
        table = "loyalty_orders"
