"""Tortoise models of the `admin` app: staff, shop switches, audit log, stock ledger."""

from tortoise import fields
from tortoise.models import Model


class ManagerRow(Model):
    # Owners come from ADMIN_IDS (settings); only managers are stored.
    telegram_id = fields.BigIntField(primary_key=True, generated=False)
    added_by = fields.BigIntField()
    added_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "admin_managers"


class ShopFlagRow(Model):
    name = fields.CharField(max_length=64, primary_key=True)
    value = fields.BooleanField()

    class Meta:
        table = "admin_flags"


class AuditRow(Model):
    id = fields.BigIntField(primary_key=True)
    actor = fields.BigIntField()  # Telegram id of the staff member, 0 for the system
    action = fields.CharField(max_length=64)
    target = fields.CharField(max_length=64)
    details: fields.JSONField[dict[str, object]] = fields.JSONField(default=dict)
    created_at = fields.DatetimeField(auto_now_add=True, db_index=True)

    class Meta:
        table = "admin_audit_log"


class StockMovementRow(Model):
    # No foreign key to the product on purpose: the ledger outlives deleted goods.
    id = fields.BigIntField(primary_key=True)
    product_id = fields.IntField()
    variant_id = fields.IntField(null=True)
    delta_on_hand = fields.IntField()
    delta_reserved = fields.IntField()
    reason = fields.CharField(max_length=16)
    ref = fields.CharField(max_length=64, default="")  # order id, import, ...
    actor = fields.BigIntField(default=0)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "stock_movements"
        indexes = (("product_id", "variant_id"),)


class ProductRevisionRow(Model):
    # Optimistic edit version of a product's fields (stock excluded: it moves by deltas).
    product_id = fields.IntField(primary_key=True, generated=False)
    version = fields.IntField(default=0)

    class Meta:
        table = "admin_product_revisions"


class OrderNoteRow(Model):
    # Staff notes on an order (the console's order page). No foreign key: the order lives in
    # another app, and notes are the shop's own record, kept however the order ends.
    id = fields.BigIntField(primary_key=True)
    order_id = fields.IntField(db_index=True)
    author = fields.BigIntField()  # Telegram id of the staff member
    text = fields.CharField(max_length=1000)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "admin_order_notes"
