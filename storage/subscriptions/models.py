"""Tortoise models of the subscriptions app (label "subscriptions"): plans, subscriptions and
their charges. Product ids are plain integers (the catalogue may delete a product; the plan
keeps its title)."""

from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from storage.models import UserRow


class PlanRow(Model):
    id = fields.IntField(primary_key=True)
    product_id = fields.IntField(unique=True)  # one plan per product
    title_en = fields.CharField(max_length=200)
    title_zh = fields.CharField(max_length=200, default="")
    price = fields.IntField()  # Stars per period
    period = fields.IntField()  # seconds
    benefit = fields.CharField(max_length=8)  # "tier" | "link" | "channel"
    benefit_value = fields.CharField(max_length=300)
    active = fields.BooleanField(default=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "subscriptions_plans"


class SubscriptionRow(Model):
    id = fields.IntField(primary_key=True)
    user: fields.ForeignKeyRelation["UserRow"] = fields.ForeignKeyField(
        "models.UserRow", related_name="subscriptions", on_delete=fields.RESTRICT
    )
    user_id: int
    plan: fields.ForeignKeyRelation[PlanRow] = fields.ForeignKeyField(
        "subscriptions.PlanRow", related_name="subscriptions", on_delete=fields.RESTRICT
    )
    plan_id: int
    telegram_user_id = fields.BigIntField()
    status = fields.CharField(max_length=12)
    canceled = fields.BooleanField(default=False)
    expires_at = fields.DatetimeField()
    charge_id = fields.CharField(max_length=255)  # the charge that started the current run
    last_charge_id = fields.CharField(max_length=255)
    started_at = fields.DatetimeField()
    ended_at = fields.DatetimeField(null=True)
    updated_at = fields.DatetimeField()

    class Meta:
        table = "subscriptions_subscriptions"
        unique_together = (("user_id", "plan_id"),)  # restarted in place after a lapse
        indexes = (("status", "expires_at"),)


class ChargeRow(Model):
    id = fields.IntField(primary_key=True)
    subscription_id = fields.IntField(null=True, db_index=True)  # None: refund of a stray one
    plan_id = fields.IntField()
    user_id = fields.IntField()
    telegram_user_id = fields.BigIntField()
    charge_id = fields.CharField(max_length=255, unique=True)  # telegram_payment_charge_id
    kind = fields.CharField(max_length=12)  # domain.subscriptions.rules.ChargeKind
    amount = fields.IntField()
    period_end = fields.DatetimeField(null=True)
    refunded_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField()

    class Meta:
        table = "subscriptions_charges"
        indexes = (("created_at",),)
