"""Tortoise models of the `campaigns` app: campaigns, delivery rows, job runs."""

from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from storage.models import UserRow


class CampaignRow(Model):
    id = fields.IntField(primary_key=True)
    created_by = fields.BigIntField()  # Telegram id of the admin
    text = fields.TextField()
    photo_file_id = fields.CharField(max_length=256, null=True)
    button_kind = fields.CharField(max_length=16, null=True)
    button_value = fields.CharField(max_length=64, null=True)
    audience_kind = fields.CharField(max_length=32)
    audience_value = fields.CharField(max_length=64, default="")
    state = fields.CharField(max_length=16, db_index=True)
    scheduled_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    started_at = fields.DatetimeField(null=True)
    finished_at = fields.DatetimeField(null=True)
    progress_chat_id = fields.BigIntField(null=True)
    progress_message_id = fields.BigIntField(null=True)

    class Meta:
        table = "campaigns"


class DeliveryRow(Model):
    # One recipient of one campaign, written before and after the send (see domain/delivery).

    id = fields.IntField(primary_key=True)
    campaign: fields.ForeignKeyRelation[CampaignRow] = fields.ForeignKeyField(
        "campaigns.CampaignRow", related_name="deliveries", on_delete=fields.CASCADE
    )
    campaign_id: int
    user: fields.ForeignKeyRelation["UserRow"] = fields.ForeignKeyField(
        "models.UserRow", related_name="campaign_deliveries", on_delete=fields.CASCADE
    )
    user_id: int
    chat_id = fields.BigIntField()
    state = fields.CharField(max_length=12, default="pending")
    attempt_id = fields.CharField(max_length=32, null=True)
    attempts = fields.IntField(default=0)
    message_id = fields.BigIntField(null=True)
    error = fields.CharField(max_length=200, null=True)
    next_attempt_at = fields.DatetimeField(null=True)
    updated_at = fields.DatetimeField(null=True)
    clicked_at = fields.DatetimeField(null=True)

    class Meta:
        table = "campaign_deliveries"
        unique_together = (("campaign_id", "user_id"),)
        indexes = (("campaign_id", "state", "id"),)


class JobRunRow(Model):
    # The last scheduled fire time each job ran for, so a missed job catches up once.

    job_id = fields.CharField(max_length=100, primary_key=True)
    last_fire_at = fields.DatetimeField()
    started_at = fields.DatetimeField(null=True)
    finished_at = fields.DatetimeField(null=True)
    status = fields.CharField(max_length=16, default="")
    error = fields.CharField(max_length=300, null=True)
    runs = fields.IntField(default=0)

    class Meta:
        table = "job_runs"
