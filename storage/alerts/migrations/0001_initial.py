from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('catalog', '0001_initial'), ('catalog', '0002_search_index'), ('models', '0001_initial')]

    initial = True

    operations = [
        ops.CreateModel(
            name='AlertSettingsRow',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('user', fields.OneToOneField('models.UserRow', source_field='user_id', db_constraint=True, to_field='id', related_name='alert_settings', on_delete=OnDelete.CASCADE)),
                ('price_drop', fields.BooleanField(default=False)),
            ],
            options={'table': 'alerts_settings', 'app': 'alerts', 'indexes': [Index(fields=['price_drop'])], 'pk_attr': 'id', 'table_description': 'Per-shopper alert settings (no row means the defaults: price-drop alerts off).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='PriceWatchRow',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('user', fields.ForeignKeyField('models.UserRow', source_field='user_id', db_constraint=True, to_field='id', related_name='price_watches', on_delete=OnDelete.CASCADE)),
                ('product', fields.ForeignKeyField('catalog.ProductRow', source_field='product_id', db_constraint=True, to_field='id', related_name='price_watches', on_delete=OnDelete.CASCADE)),
                ('last_price', fields.BigIntField()),
                ('currency', fields.CharField(max_length=3)),
                ('updated_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'alerts_price_watches', 'app': 'alerts', 'unique_together': (('user_id', 'product_id'),), 'pk_attr': 'id', 'table_description': 'The price of a favourite the shopper last saw in an alert or that the sweep last saw.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='StockSubscriptionRow',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('user', fields.ForeignKeyField('models.UserRow', source_field='user_id', db_constraint=True, to_field='id', related_name='stock_subscriptions', on_delete=OnDelete.CASCADE)),
                ('product', fields.ForeignKeyField('catalog.ProductRow', source_field='product_id', db_constraint=True, to_field='id', related_name='stock_subscriptions', on_delete=OnDelete.CASCADE)),
                ('variant_id', fields.IntField(default=0)),
                ('status', fields.CharField(default='waiting', max_length=8)),
                ('attempt', fields.CharField(default='', max_length=32)),
                ('attempts', fields.IntField(default=0)),
                ('claimed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'alerts_stock_subscriptions', 'app': 'alerts', 'unique_together': (('user_id', 'product_id', 'variant_id'),), 'indexes': [Index(fields=['status', 'product_id'])], 'pk_attr': 'id'},
            bases=['Model'],
        ),
    ]
