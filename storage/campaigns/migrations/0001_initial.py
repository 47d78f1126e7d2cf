from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0001_initial')]

    initial = True

    operations = [
        ops.CreateModel(
            name='CampaignRow',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('created_by', fields.BigIntField()),
                ('text', fields.TextField(unique=False)),
                ('photo_file_id', fields.CharField(null=True, max_length=256)),
                ('button_kind', fields.CharField(null=True, max_length=16)),
                ('button_value', fields.CharField(null=True, max_length=64)),
                ('audience_kind', fields.CharField(max_length=32)),
                ('audience_value', fields.CharField(default='', max_length=64)),
                ('state', fields.CharField(db_index=True, max_length=16)),
                ('scheduled_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('started_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('finished_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('progress_chat_id', fields.BigIntField(null=True)),
                ('progress_message_id', fields.BigIntField(null=True)),
            ],
            options={'table': 'campaigns', 'app': 'campaigns', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='DeliveryRow',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('campaign', fields.ForeignKeyField('campaigns.CampaignRow', source_field='campaign_id', db_constraint=True, to_field='id', related_name='deliveries', on_delete=OnDelete.CASCADE)),
                ('user', fields.ForeignKeyField('models.UserRow', source_field='user_id', db_constraint=True, to_field='id', related_name='campaign_deliveries', on_delete=OnDelete.CASCADE)),
                ('chat_id', fields.BigIntField()),
                ('state', fields.CharField(default='pending', max_length=12)),
                ('attempt_id', fields.CharField(null=True, max_length=32)),
                ('attempts', fields.IntField(default=0)),
                ('message_id', fields.BigIntField(null=True)),
                ('error', fields.CharField(null=True, max_length=200)),
                ('next_attempt_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('updated_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('clicked_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'campaign_deliveries', 'app': 'campaigns', 'unique_together': (('campaign_id', 'user_id'),), 'indexes': [Index(fields=['campaign_id', 'state', 'id'])], 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='JobRunRow',
            fields=[
                ('job_id', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=100)),
                ('last_fire_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('started_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('finished_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('status', fields.CharField(default='', max_length=16)),
                ('error', fields.CharField(null=True, max_length=300)),
                ('runs', fields.IntField(default=0)),
            ],
            options={'table': 'job_runs', 'app': 'campaigns', 'pk_attr': 'job_id'},
            bases=['Model'],
        ),
    ]
