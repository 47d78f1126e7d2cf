from tortoise import fields, migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [("recs", "0001_initial")]

    operations = [
        ops.CreateModel(
            name="RecsForgetRow",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                ("user_id", fields.IntField()),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={"table": "recs_forget", "app": "recs", "pk_attr": "id"},
            bases=["Model"],
        ),
    ]
