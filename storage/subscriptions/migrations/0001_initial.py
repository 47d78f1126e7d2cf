"""Stars subscriptions (issue 18): plans, subscriptions and their charges."""

from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.indexes import Index
from tortoise.migrations import operations as ops


def _id() -> fields.IntField:
    return fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)


class Migration(migrations.Migration):
    dependencies = [("models", "0001_initial")]

    initial = True

    operations = [
        ops.CreateModel(
            name="PlanRow",
            fields=[
                ("id", _id()),
                ("product_id", fields.IntField(unique=True)),
                ("title_en", fields.CharField(max_length=200)),
                ("title_zh", fields.CharField(default="", max_length=200)),
                ("price", fields.IntField()),
                ("period", fields.IntField()),
                ("benefit", fields.CharField(max_length=8)),
                ("benefit_value", fields.CharField(max_length=300)),
                ("active", fields.BooleanField(default=True)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={"table": "subscriptions_plans", "app": "subscriptions", "pk_attr": "id"},
            bases=["Model"],
        ),
        ops.CreateModel(
            name="SubscriptionRow",
            fields=[
                ("id", _id()),
                (
                    "user",
                    fields.ForeignKeyField(
                        "models.UserRow",
                        source_field="user_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="subscriptions",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "plan",
                    fields.ForeignKeyField(
                        "subscriptions.PlanRow",
                        source_field="plan_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="subscriptions",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("telegram_user_id", fields.BigIntField()),
                ("status", fields.CharField(max_length=12)),
                ("canceled", fields.BooleanField(default=False)),
                ("expires_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ("charge_id", fields.CharField(max_length=255)),
                ("last_charge_id", fields.CharField(max_length=255)),
                ("started_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                (
                    "ended_at",
                    fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
                ),
                ("updated_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={
                "table": "subscriptions_subscriptions",
                "app": "subscriptions",
                "unique_together": (("user_id", "plan_id"),),
                "indexes": [Index(fields=["status", "expires_at"])],
                "pk_attr": "id",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="ChargeRow",
            fields=[
                ("id", _id()),
                ("subscription_id", fields.IntField(null=True, db_index=True)),
                ("plan_id", fields.IntField()),
                ("user_id", fields.IntField()),
                ("telegram_user_id", fields.BigIntField()),
                ("charge_id", fields.CharField(unique=True, max_length=255)),
                ("kind", fields.CharField(max_length=12)),
                ("amount", fields.IntField()),
                (
                    "period_end",
                    fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
                ),
                (
                    "refunded_at",
                    fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
                ),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={
                "table": "subscriptions_charges",
                "app": "subscriptions",
                "indexes": [Index(fields=["created_at"])],
                "pk_attr": "id",
            },
            bases=["Model"],
        ),
    ]
