"""An order remembers that its buyer's tier ships it free, so the option chosen later in
Telegram's payment form (a flexible invoice) is charged nothing (OrderRow.free_shipping)."""

from tortoise import fields, migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [("orders", "0003_one_cart_per_user")]

    operations = [
        ops.AddField(
            model_name="OrderRow",
            name="free_shipping",
            field=fields.BooleanField(default=False),
        ),
    ]
