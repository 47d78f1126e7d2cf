"""Tortoise models of the `recs` app: interaction events and model snapshots."""

from tortoise import fields
from tortoise.models import Model


class RecsEventRow(Model):
    # One interaction. item_id is a plain integer on purpose: goods live in another app, and
    # events must survive a product being deleted (the model then treats it as inactive).

    id = fields.BigIntField(primary_key=True)
    user: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(  # type: ignore[type-arg]
        "models.UserRow", related_name="recs_events", null=True, on_delete=fields.CASCADE
    )
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
