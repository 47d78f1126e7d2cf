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
            name='LoyaltyAccountRow',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('user', fields.OneToOneField('models.UserRow', source_field='user_id', db_constraint=True, to_field='id', related_name='loyalty_account', on_delete=OnDelete.CASCADE)),
                ('balance', fields.BigIntField(default=0)),
            ],
            options={'table': 'loyalty_accounts', 'app': 'loyalty', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='LoyaltyEntryRow',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('user', fields.ForeignKeyField('models.UserRow', source_field='user_id', db_constraint=True, to_field='id', related_name='loyalty_entries', on_delete=OnDelete.CASCADE)),
                ('kind', fields.CharField(max_length=12)),
                ('points', fields.BigIntField()),
                ('key', fields.CharField(null=True, unique=True, max_length=64)),
                ('order_id', fields.IntField(null=True, db_index=True)),
                ('reason', fields.CharField(default='', max_length=200)),
                ('actor', fields.CharField(default='system', max_length=40)),
                ('expires_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('settled', fields.BooleanField(default=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'loyalty_entries', 'app': 'loyalty', 'indexes': [Index(fields=['user_id', 'id']), Index(fields=['settled', 'expires_at'])], 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='LoyaltyOrderRow',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('order_id', fields.IntField(unique=True)),
                ('user_id', fields.IntField()),
                ('points_redeemed', fields.BigIntField(default=0)),
                ('points_discount', fields.BigIntField(default=0)),
                ('tier_name', fields.CharField(null=True, max_length=32)),
                ('tier_discount', fields.BigIntField(default=0)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'loyalty_orders', 'app': 'loyalty', 'pk_attr': 'id', 'table_description': 'What loyalty took off an order, written with the order in one transaction.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='LoyaltySpendRow',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('order_id', fields.IntField(unique=True)),
                ('user', fields.ForeignKeyField('models.UserRow', source_field='user_id', db_constraint=True, to_field='id', related_name='loyalty_spend', on_delete=OnDelete.CASCADE)),
                ('amount', fields.BigIntField()),
                ('reversed', fields.BooleanField(default=False)),
                ('at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'loyalty_spend', 'app': 'loyalty', 'indexes': [Index(fields=['user_id', 'at'])], 'pk_attr': 'id', 'table_description': "A completed order's goods amount, counted towards tiers over the rolling window."},
            bases=['Model'],
        ),
    ]
