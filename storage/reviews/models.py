"""Tortoise models of the reviews app (label "reviews")."""

from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from storage.catalog.models import ProductRow
    from storage.models import UserRow


class ReviewRow(Model):
    id = fields.IntField(primary_key=True)
    user: fields.ForeignKeyRelation["UserRow"] = fields.ForeignKeyField(
        "models.UserRow", related_name="reviews", on_delete=fields.CASCADE
    )
    user_id: int
    product: fields.ForeignKeyRelation["ProductRow"] = fields.ForeignKeyField(
        "catalog.ProductRow", related_name="reviews", on_delete=fields.CASCADE
    )
    product_id: int
    rating = fields.SmallIntField()
    text = fields.TextField(default="")
    photo = fields.CharField(max_length=255, null=True)
    hidden = fields.BooleanField(default=False)
    reply = fields.TextField(null=True)
    replied_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField()
    updated_at = fields.DatetimeField()

    class Meta:
        table = "reviews"
        unique_together = (("user_id", "product_id"),)
        indexes = (("product_id", "hidden", "updated_at"),)
