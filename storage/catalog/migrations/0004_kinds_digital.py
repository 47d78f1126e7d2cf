"""Kinds of goods (physical / digital / service), a Stars price per product, and the pool of
digital units (codes, keys, links or files) sold one per item bought (issue 18)."""

from tortoise import fields, migrations
from tortoise.indexes import Index
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [("catalog", "0003_variants_in_stock")]

    operations = [
        ops.AddField(
            model_name="ProductRow",
            name="kind",
            field=fields.CharField(default="physical", max_length=16),
        ),
        ops.AddField(
            model_name="ProductRow",
            name="stars_price",
            field=fields.IntField(null=True),
        ),
        ops.CreateModel(
            name="DigitalUnitRow",
            fields=[
                (
                    "id",
                    fields.BigIntField(
                        generated=True, primary_key=True, unique=True, db_index=True
                    ),
                ),
                ("product_id", fields.IntField()),
                ("payload_kind", fields.CharField(max_length=8)),
                ("payload", fields.TextField(unique=False)),
                ("payload_key", fields.CharField(max_length=80)),
                ("file_name", fields.CharField(default="", max_length=255)),
                ("status", fields.CharField(default="available", max_length=10)),
                ("order_id", fields.IntField(null=True, db_index=True)),
                ("line", fields.IntField(null=True)),
                ("sold_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ("sent_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={
                "table": "catalog_digital_units",
                "app": "catalog",
                "unique_together": (("product_id", "payload_key"),),
                "indexes": [Index(fields=["product_id", "status", "id"])],
                "pk_attr": "id",
            },
            bases=["Model"],
        ),
    ]
