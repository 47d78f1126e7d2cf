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
            name='RecsEventRow',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('user', fields.ForeignKeyField('models.UserRow', source_field='user_id', null=True, db_constraint=True, to_field='id', related_name='recs_events', on_delete=OnDelete.CASCADE)),
                ('item_id', fields.IntField(db_index=True)),
                ('kind', fields.CharField(max_length=16)),
                ('weight', fields.FloatField(null=True)),
                ('query', fields.CharField(null=True, max_length=128)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'recs_events', 'app': 'recs', 'indexes': [Index(fields=['user_id', 'id'])], 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='RecsSnapshotRow',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('watermark', fields.BigIntField()),
                ('payload', fields.BinaryField()),
                ('size', fields.IntField()),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'recs_snapshots', 'app': 'recs', 'pk_attr': 'id'},
            bases=['Model'],
        ),
    ]
