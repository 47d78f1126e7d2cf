"""Tortoise models of the support app (label "support"): conversations, their messages and the
copies that stand for them in staff chats, blocked shoppers, the maintenance switch."""

from tortoise import fields
from tortoise.models import Model


class SupportConversationRow(Model):
    id = fields.IntField(primary_key=True)
    shopper_id = fields.BigIntField(unique=True)  # Telegram id: one line per shopper
    name = fields.CharField(max_length=200, default="")
    username = fields.CharField(max_length=64, null=True)
    language = fields.CharField(max_length=16, null=True)
    status = fields.CharField(max_length=12, default="open")
    about = fields.CharField(max_length=32, default="")
    topic_chat_id = fields.BigIntField(null=True)
    topic_id = fields.BigIntField(null=True)
    message_count = fields.IntField(default=0)
    opened_at = fields.DatetimeField()
    last_at = fields.DatetimeField()

    class Meta:
        table = "support_conversations"
        indexes = (("status", "last_at"), ("topic_chat_id", "topic_id"))


class SupportMessageRow(Model):
    id = fields.IntField(primary_key=True)
    conversation: fields.ForeignKeyRelation[SupportConversationRow] = fields.ForeignKeyField(
        "support.SupportConversationRow", related_name="messages", on_delete=fields.CASCADE
    )
    conversation_id: int
    direction = fields.CharField(max_length=3)  # "in" from the shopper, "out" from staff
    staff_id = fields.BigIntField(null=True)
    kind = fields.CharField(max_length=16)  # text, photo, document
    at = fields.DatetimeField(db_index=True)

    class Meta:
        table = "support_messages"


class SupportRelayRow(Model):
    """A copy of a conversation's message in some chat: a reply to it continues the line."""

    id = fields.IntField(primary_key=True)
    conversation: fields.ForeignKeyRelation[SupportConversationRow] = fields.ForeignKeyField(
        "support.SupportConversationRow", related_name="relays", on_delete=fields.CASCADE
    )
    conversation_id: int
    chat_id = fields.BigIntField()
    message_id = fields.BigIntField()

    class Meta:
        table = "support_relays"
        unique_together = (("chat_id", "message_id"),)


class SupportBlockRow(Model):
    telegram_id = fields.BigIntField(primary_key=True, generated=False)
    blocked_by = fields.BigIntField()
    blocked_at = fields.DatetimeField()

    class Meta:
        table = "support_blocks"


class ShopSwitchRow(Model):
    """The maintenance switch (one row, key "maintenance") and the text shoppers see."""

    key = fields.CharField(max_length=32, primary_key=True)
    is_on = fields.BooleanField(default=False)
    message = fields.TextField(default="")
    updated_by = fields.BigIntField(null=True)
    updated_at = fields.DatetimeField()

    class Meta:
        table = "support_switches"
