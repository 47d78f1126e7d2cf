"""Tortoise models of the shop app (label "shop"): one row of the shop's own details."""

from tortoise import fields
from tortoise.models import Model


class ShopDetailsRow(Model):
    """The shop's name, description and photo as the owner set them (one row, id 1)."""

    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=64, default="")
    description = fields.TextField(default="")
    photo_file_id = fields.CharField(max_length=255, default="")
    shared = fields.BooleanField(default=False)  # the owner has seen the share links
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "shop_details"
        table_description = "The shop's own details, set by the owner (one row)."


class OpenChecklistRow(Model):
    """An owner whose setup checklist is open, and the steps it showed done: a step done
    since brings the checklist back (handlers/onboarding/returns.py)."""

    telegram_id = fields.BigIntField(primary_key=True)
    done = fields.CharField(max_length=128, default="")  # step keys, comma-separated

    class Meta:
        table = "shop_open_checklists"
