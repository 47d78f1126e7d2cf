from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    initial = True

    operations = [
        ops.CreateModel(
            name='UserRow',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('telegram_id', fields.BigIntField(unique=True)),
                ('first_name', fields.CharField(max_length=128)),
                ('last_name', fields.CharField(null=True, max_length=128)),
                ('username', fields.CharField(null=True, max_length=64)),
                ('display_name', fields.CharField(null=True, max_length=64)),
                ('language', fields.CharField(null=True, max_length=8)),
                ('telegram_language', fields.CharField(null=True, max_length=16)),
                ('phone', fields.CharField(null=True, max_length=16)),
                ('is_blocked', fields.BooleanField(default=False)),
                ('marketing_opt_in', fields.BooleanField(default=False)),
                ('referral_code', fields.CharField(unique=True, max_length=32)),
                ('referrer', fields.ForeignKeyField('models.UserRow', source_field='referrer_id', null=True, db_constraint=True, to_field='id', related_name='referred', on_delete=OnDelete.SET_NULL)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('last_seen_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'users', 'app': 'models', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='AddressRow',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('user', fields.ForeignKeyField('models.UserRow', source_field='user_id', db_constraint=True, to_field='id', related_name='addresses', on_delete=OnDelete.CASCADE)),
                ('recipient', fields.CharField(max_length=64)),
                ('phone', fields.CharField(max_length=16)),
                ('city', fields.CharField(max_length=64)),
                ('street', fields.CharField(max_length=128)),
                ('postcode', fields.CharField(null=True, max_length=12)),
                ('is_default', fields.BooleanField(default=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'addresses', 'app': 'models', 'indexes': [Index(fields=['user_id', 'id'])], 'pk_attr': 'id'},
            bases=['Model'],
        ),
    ]
