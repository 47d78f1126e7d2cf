from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    initial = True

    operations = [
        ops.CreateModel(
            name='ShopSwitchRow',
            fields=[
                ('key', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=32)),
                ('is_on', fields.BooleanField(default=False)),
                ('message', fields.TextField(default='', unique=False)),
                ('updated_by', fields.BigIntField(null=True)),
                ('updated_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'support_switches', 'app': 'support', 'pk_attr': 'key', 'table_description': 'The maintenance switch (one row, key "maintenance") and the text shoppers see.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='SupportBlockRow',
            fields=[
                ('telegram_id', fields.BigIntField(primary_key=True, unique=True, db_index=True)),
                ('blocked_by', fields.BigIntField()),
                ('blocked_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'support_blocks', 'app': 'support', 'pk_attr': 'telegram_id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='SupportConversationRow',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('shopper_id', fields.BigIntField(unique=True)),
                ('name', fields.CharField(default='', max_length=200)),
                ('username', fields.CharField(null=True, max_length=64)),
                ('language', fields.CharField(null=True, max_length=16)),
                ('status', fields.CharField(default='open', max_length=12)),
                ('about', fields.CharField(default='', max_length=32)),
                ('topic_chat_id', fields.BigIntField(null=True)),
                ('topic_id', fields.BigIntField(null=True)),
                ('message_count', fields.IntField(default=0)),
                ('opened_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('last_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'support_conversations', 'app': 'support', 'indexes': [Index(fields=['status', 'last_at']), Index(fields=['topic_chat_id', 'topic_id'])], 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='SupportMessageRow',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('conversation', fields.ForeignKeyField('support.SupportConversationRow', source_field='conversation_id', db_constraint=True, to_field='id', related_name='messages', on_delete=OnDelete.CASCADE)),
                ('direction', fields.CharField(max_length=3)),
                ('staff_id', fields.BigIntField(null=True)),
                ('kind', fields.CharField(max_length=16)),
                ('at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'support_messages', 'app': 'support', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='SupportRelayRow',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('conversation', fields.ForeignKeyField('support.SupportConversationRow', source_field='conversation_id', db_constraint=True, to_field='id', related_name='relays', on_delete=OnDelete.CASCADE)),
                ('chat_id', fields.BigIntField()),
                ('message_id', fields.BigIntField()),
            ],
            options={'table': 'support_relays', 'app': 'support', 'unique_together': (('chat_id', 'message_id'),), 'pk_attr': 'id', 'table_description': "A copy of a conversation's message in some chat: a reply to it continues the line."},
            bases=['Model'],
        ),
    ]
