"""Tortoise models of the scheduled-jobs app (label "jobs"): what the jobs already told whom.

Catalogue ids are plain integers (no foreign keys): a marker for a deleted product is simply
never matched again and is cleared by the next check.
"""

from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from storage.models import UserRow


class LowStockMarkRow(Model):
    """The 'alerted low' marker of one sellable unit (set when alerted, cleared on recovery)."""

    id = fields.IntField(primary_key=True)
    product_id = fields.IntField()
    variant_id = fields.IntField(default=0)  # 0: the product itself (no variants)
    alerted_at = fields.DatetimeField()

    class Meta:
        table = "jobs_low_stock_marks"
        unique_together = (("product_id", "variant_id"),)


class CartReminderRow(Model):
    """The cart change (its updated_at) the shopper was last reminded about."""

    id = fields.IntField(primary_key=True)
    user: fields.OneToOneRelation["UserRow"] = fields.OneToOneField(
        "models.UserRow", related_name="cart_reminder", on_delete=fields.CASCADE
    )
    user_id: int
    reminded_for = fields.DatetimeField()
    reminded_at = fields.DatetimeField()

    class Meta:
        table = "jobs_cart_reminders"
