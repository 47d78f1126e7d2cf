"""An order of digital goods and services (paid in Stars only, nothing shipped, fulfilled the
moment it is paid) is marked as such (OrderRow.digital; domain.orders.rules)."""

from tortoise import fields, migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [("orders", "0004_free_shipping")]

    operations = [
        ops.AddField(
            model_name="OrderRow",
            name="digital",
            field=fields.BooleanField(default=False),
        ),
    ]
