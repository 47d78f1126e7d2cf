"""Tortoise models of the alerts app (label "alerts").

A stock subscription lives while the shopper waits; the row is deleted when the shopper has been
told (or refused us with a 403), so "unique per user + product + variant" only ever concerns
waiting subscriptions and the shopper can ask again after the next sell-out. `variant_id` is a
plain integer (0 = the product itself, or any option of a product with variants), so it takes
part in the unique key (a NULL would not).
"""

from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from storage.catalog.models import ProductRow
    from storage.models import UserRow


class StockSubscriptionRow(Model):
    id = fields.IntField(primary_key=True)
    user: fields.ForeignKeyRelation["UserRow"] = fields.ForeignKeyField(
        "models.UserRow", related_name="stock_subscriptions", on_delete=fields.CASCADE
    )
    user_id: int
    product: fields.ForeignKeyRelation["ProductRow"] = fields.ForeignKeyField(
        "catalog.ProductRow", related_name="stock_subscriptions", on_delete=fields.CASCADE
    )
    product_id: int
    variant_id = fields.IntField(default=0)
    # "waiting", or "sending" from the claim until the outcome is recorded (crash safety).
    status = fields.CharField(max_length=8, default="waiting")
    attempt = fields.CharField(max_length=32, default="")
    attempts = fields.IntField(default=0)  # failed tries (not 429s) so far
    claimed_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "alerts_stock_subscriptions"
        unique_together = (("user_id", "product_id", "variant_id"),)
        indexes = (("status", "product_id"),)


class PriceWatchRow(Model):
    """The price of a favourite the shopper last saw in an alert or that the sweep last saw."""

    id = fields.IntField(primary_key=True)
    user: fields.ForeignKeyRelation["UserRow"] = fields.ForeignKeyField(
        "models.UserRow", related_name="price_watches", on_delete=fields.CASCADE
    )
    user_id: int
    product: fields.ForeignKeyRelation["ProductRow"] = fields.ForeignKeyField(
        "catalog.ProductRow", related_name="price_watches", on_delete=fields.CASCADE
    )
    product_id: int
    last_price = fields.BigIntField()
    currency = fields.CharField(max_length=3)
    updated_at = fields.DatetimeField()

    class Meta:
        table = "alerts_price_watches"
        unique_together = (("user_id", "product_id"),)


class AlertSettingsRow(Model):
    """Per-shopper alert settings (no row means the defaults: price-drop alerts off)."""

    id = fields.IntField(primary_key=True)
    user: fields.OneToOneRelation["UserRow"] = fields.OneToOneField(
        "models.UserRow", related_name="alert_settings", on_delete=fields.CASCADE
    )
    user_id: int
    price_drop = fields.BooleanField(default=False)

    class Meta:
        table = "alerts_settings"
        indexes = (("price_drop",),)
