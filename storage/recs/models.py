"""Tortoise models of the `recs` app: interaction events and model snapshots."""

from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from storage.models import UserRow


class RecsEventRow(Model):
    # One interaction. item_id is a plain integer on purpose: goods live in another app, and
    # events must survive a product being deleted (the model then treats it as inactive).

    id = fields.BigIntField(primary_key=True)
    user: fields.ForeignKeyNullableRelation["UserRow"] = fields.ForeignKeyField(
        "models.UserRow", related_name="recs_events", null=True, on_delete=fields.CASCADE
    )
    user_id: int | None
    item_id = fields.IntField(db_index=True)
    kind = fields.CharField(max_length=16)
    weight = fields.FloatField(null=True)
    query = fields.CharField(max_length=128, null=True)
    created_at = fields.DatetimeField()

    class Meta:
        table = "recs_events"
        # "for you" reads a user's latest events; the rebuild reads by id (the primary key).
        indexes = (("user_id", "id"),)


class RecsSnapshotRow(Model):
    # A serialised RecommendationModel (.npz bytes). Kept in the database rather than a file so
    # every replica (webhook mode runs several) loads the model the leader built.

    id = fields.IntField(primary_key=True)
    watermark = fields.BigIntField()
    payload = fields.BinaryField()
    size = fields.IntField()
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "recs_snapshots"


class RecsForgetRow(Model):
    # A shopper cleared their history: their events are deleted when this row is written,
    # and the next rebuild drops them from the model's running totals (rows after its mark).

    id = fields.IntField(primary_key=True)
    user_id = fields.IntField()
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "recs_forget"
