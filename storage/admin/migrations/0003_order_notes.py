"""Staff notes on orders, written from the merchants' console (OrderNoteRow)."""

from tortoise import fields, migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [("admin", "0002_opening_stock")]

    operations = [
        ops.CreateModel(
            name="OrderNoteRow",
            fields=[
                (
                    "id",
                    fields.BigIntField(
                        generated=True, primary_key=True, unique=True, db_index=True
                    ),
                ),
                ("order_id", fields.IntField(db_index=True)),
                ("author", fields.BigIntField()),
                ("text", fields.CharField(max_length=1000)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={"table": "admin_order_notes", "app": "admin", "pk_attr": "id"},
            bases=["Model"],
        ),
    ]
