from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    initial = True

    operations = [
        ops.CreateModel(
            name='AuditRow',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('actor', fields.BigIntField()),
                ('action', fields.CharField(max_length=64)),
                ('target', fields.CharField(max_length=64)),
                ('details', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('created_at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'admin_audit_log', 'app': 'admin', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ManagerRow',
            fields=[
                ('telegram_id', fields.BigIntField(primary_key=True, unique=True, db_index=True)),
                ('added_by', fields.BigIntField()),
                ('added_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'admin_managers', 'app': 'admin', 'pk_attr': 'telegram_id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ProductRevisionRow',
            fields=[
                ('product_id', fields.IntField(primary_key=True, unique=True, db_index=True)),
                ('version', fields.IntField(default=0)),
            ],
            options={'table': 'admin_product_revisions', 'app': 'admin', 'pk_attr': 'product_id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ShopFlagRow',
            fields=[
                ('name', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=64)),
                ('value', fields.BooleanField()),
            ],
            options={'table': 'admin_flags', 'app': 'admin', 'pk_attr': 'name'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='StockMovementRow',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('product_id', fields.IntField()),
                ('variant_id', fields.IntField(null=True)),
                ('delta_on_hand', fields.IntField()),
                ('delta_reserved', fields.IntField()),
                ('reason', fields.CharField(max_length=16)),
                ('ref', fields.CharField(default='', max_length=64)),
                ('actor', fields.BigIntField(default=0)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'stock_movements', 'app': 'admin', 'indexes': [Index(fields=['product_id', 'variant_id'])], 'pk_attr': 'id'},
            bases=['Model'],
        ),
    ]
