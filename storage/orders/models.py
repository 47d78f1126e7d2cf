"""Tortoise models of the orders app (label "orders"): carts, coupons, orders, payments.

Catalogue ids in carts and order lines are plain integers, not foreign keys: a product deleted
from the catalogue must show up as "no longer available" in a cart, and an order keeps its
snapshot (title, price) whatever happens to the product later.
"""

from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from storage.models import UserRow


class CartRow(Model):
    id = fields.IntField(primary_key=True)
    user: fields.ForeignKeyRelation["UserRow"] = fields.ForeignKeyField(
        "models.UserRow", related_name="cart", on_delete=fields.CASCADE, unique=True
    )
    user_id: int
    coupon_code = fields.CharField(max_length=32, null=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "orders_carts"


class CartLineRow(Model):
    id = fields.IntField(primary_key=True)
    cart: fields.ForeignKeyRelation[CartRow] = fields.ForeignKeyField(
        "orders.CartRow", related_name="lines", on_delete=fields.CASCADE
    )
    cart_id: int
    product_id = fields.IntField()
    variant_id = fields.IntField(default=0)  # 0: the product itself (no variants)
    quantity = fields.IntField()
    price_seen = fields.BigIntField()
    currency = fields.CharField(max_length=3)
    added_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "orders_cart_lines"
        unique_together = (("cart_id", "product_id", "variant_id"),)


class CouponRow(Model):
    id = fields.IntField(primary_key=True)
    code = fields.CharField(max_length=32, unique=True)
    kind = fields.CharField(max_length=8)  # "percent" | "fixed"
    value = fields.BigIntField()
    currency = fields.CharField(max_length=3)
    min_order = fields.BigIntField(default=0)
    starts_at = fields.DatetimeField(null=True)
    ends_at = fields.DatetimeField(null=True)
    usage_limit = fields.IntField(null=True)
    used = fields.IntField(default=0)  # changed only by conditional increments/decrements
    once_per_customer = fields.BooleanField(default=False)
    category_id = fields.IntField(null=True)
    active = fields.BooleanField(default=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "orders_coupons"


class CouponUseRow(Model):
    id = fields.IntField(primary_key=True)
    coupon: fields.ForeignKeyRelation[CouponRow] = fields.ForeignKeyField(
        "orders.CouponRow", related_name="uses", on_delete=fields.CASCADE
    )
    coupon_id: int
    user: fields.ForeignKeyRelation["UserRow"] = fields.ForeignKeyField(
        "models.UserRow", related_name="coupon_uses", on_delete=fields.CASCADE
    )
    user_id: int
    order_id = fields.IntField(db_index=True)
    # "<coupon>:<user>" for once-per-customer coupons, else NULL (NULLs never collide), so the
    # database itself refuses a second use by the same customer.
    once_key = fields.CharField(max_length=40, null=True, unique=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "orders_coupon_uses"
        indexes = (("coupon_id", "user_id"),)


class OrderRow(Model):
    id = fields.IntField(primary_key=True)
    user: fields.ForeignKeyRelation["UserRow"] = fields.ForeignKeyField(
        "models.UserRow", related_name="orders", on_delete=fields.RESTRICT
    )
    user_id: int
    status = fields.CharField(max_length=24)
    payment_status = fields.CharField(max_length=24)
    fulfilment_status = fields.CharField(max_length=24)
    currency = fields.CharField(max_length=3)
    subtotal = fields.BigIntField()
    discount = fields.BigIntField(default=0)
    shipping = fields.BigIntField(default=0)
    pay_method = fields.CharField(max_length=8)
    pay_currency = fields.CharField(max_length=3)
    pay_amount = fields.BigIntField()
    address = fields.CharField(max_length=300, default="")
    shipping_option_id = fields.CharField(max_length=32, null=True)
    shipping_title_en = fields.CharField(max_length=64, default="")
    shipping_title_zh = fields.CharField(max_length=64, default="")
    coupon_id = fields.IntField(null=True)
    coupon_code = fields.CharField(max_length=32, null=True)
    tracking_number = fields.CharField(max_length=64, null=True)
    refund_reason = fields.CharField(max_length=300, null=True)
    created_at = fields.DatetimeField()
    expires_at = fields.DatetimeField()
    paid_at = fields.DatetimeField(null=True)
    delivered_at = fields.DatetimeField(null=True)
    updated_at = fields.DatetimeField()
    # The buyer's tier ships it free, whichever option the payment form picks (0004).
    free_shipping = fields.BooleanField(default=False)
    # Digital goods and services, paid in Stars and fulfilled at once (0005; domain.orders.rules).
    digital = fields.BooleanField(default=False)

    class Meta:
        table = "orders_orders"
        indexes = (("user_id", "id"), ("status", "expires_at"), ("status", "delivered_at"))


class OrderLineRow(Model):
    id = fields.IntField(primary_key=True)
    order: fields.ForeignKeyRelation[OrderRow] = fields.ForeignKeyField(
        "orders.OrderRow", related_name="lines", on_delete=fields.CASCADE
    )
    order_id: int
    product_id = fields.IntField(db_index=True)
    variant_id = fields.IntField(null=True)
    sku = fields.CharField(max_length=64)
    title_en = fields.CharField(max_length=200)
    title_zh = fields.CharField(max_length=200, default="")
    variant_label = fields.CharField(max_length=128, default="")
    unit_price = fields.BigIntField()
    quantity = fields.IntField()

    class Meta:
        table = "orders_order_lines"


class OrderEventRow(Model):
    id = fields.IntField(primary_key=True)
    order: fields.ForeignKeyRelation[OrderRow] = fields.ForeignKeyField(
        "orders.OrderRow", related_name="events", on_delete=fields.CASCADE
    )
    order_id: int
    action = fields.CharField(max_length=24)
    source = fields.CharField(max_length=24)
    target = fields.CharField(max_length=24)
    actor = fields.CharField(max_length=40)
    note = fields.CharField(max_length=300, default="")
    at = fields.DatetimeField()

    class Meta:
        table = "orders_order_events"
        indexes = (("order_id", "id"),)


class PaymentRow(Model):
    id = fields.IntField(primary_key=True)
    order: fields.ForeignKeyRelation[OrderRow] = fields.ForeignKeyField(
        "orders.OrderRow", related_name="payments", on_delete=fields.RESTRICT
    )
    order_id: int
    user_id = fields.IntField()
    telegram_user_id = fields.BigIntField()
    charge_id = fields.CharField(max_length=255, unique=True)  # telegram_payment_charge_id
    provider_charge_id = fields.CharField(max_length=255, default="")
    currency = fields.CharField(max_length=3)
    amount = fields.BigIntField()
    needs_refund = fields.BooleanField(default=False)
    created_at = fields.DatetimeField()

    class Meta:
        table = "orders_payments"


class RefundRow(Model):
    id = fields.IntField(primary_key=True)
    order: fields.ForeignKeyRelation[OrderRow] = fields.ForeignKeyField(
        "orders.OrderRow", related_name="refunds", on_delete=fields.RESTRICT
    )
    order_id: int
    amount = fields.BigIntField()
    currency = fields.CharField(max_length=3)
    method = fields.CharField(max_length=8)
    confirmed_by = fields.CharField(max_length=40)  # "merchant:<telegram id>" or "telegram"
    reason = fields.CharField(max_length=300, default="")
    created_at = fields.DatetimeField()

    class Meta:
        table = "orders_refunds"


class AppliedEffectRow(Model):
    """An effect of one Telegram update that is done (domain.kernel.idempotency): committed in the
    same transaction as the change, so an update handled again after a crash skips it."""

    key = fields.CharField(max_length=96, primary_key=True)  # "<kind>:u<update id>"
    result_id = fields.IntField(null=True)  # what the first run produced (cart line, order)
    created_at = fields.DatetimeField(auto_now_add=True, db_index=True)

    class Meta:
        table = "orders_applied_effects"
