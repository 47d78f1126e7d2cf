"""The shop's own details (name, description, photo), set by the owner in the chat."""

from tortoise import fields, migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies: list[tuple[str, str]] = []

    initial = True

    operations = [
        ops.CreateModel(
            name="ShopDetailsRow",
            fields=[
                (
                    "id",
                    fields.IntField(
                        generated=True, primary_key=True, unique=True, db_index=True
                    ),
                ),
                ("name", fields.CharField(default="", max_length=64)),
                ("description", fields.TextField(default="")),
                ("photo_file_id", fields.CharField(default="", max_length=255)),
                ("shared", fields.BooleanField(default=False)),
                ("updated_at", fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={
                "table": "shop_details",
                "app": "shop",
                "pk_attr": "id",
                "table_description": "The shop's own details, set by the owner (one row).",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="OpenChecklistRow",
            fields=[
                (
                    "telegram_id",
                    fields.BigIntField(primary_key=True, unique=True, db_index=True),
                ),
                ("done", fields.CharField(default="", max_length=128)),
            ],
            options={"table": "shop_open_checklists", "app": "shop", "pk_attr": "telegram_id"},
            bases=["Model"],
        ),
    ]
