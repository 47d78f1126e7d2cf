from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('catalog', '0002_search_index'), ('models', '0001_initial')]

    initial = True

    operations = [
        ops.CreateModel(
            name='ReviewRow',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('user', fields.ForeignKeyField('models.UserRow', source_field='user_id', db_constraint=True, to_field='id', related_name='reviews', on_delete=OnDelete.CASCADE)),
                ('product', fields.ForeignKeyField('catalog.ProductRow', source_field='product_id', db_constraint=True, to_field='id', related_name='reviews', on_delete=OnDelete.CASCADE)),
                ('rating', fields.SmallIntField()),
                ('text', fields.TextField(default='', unique=False)),
                ('photo', fields.CharField(null=True, max_length=255)),
                ('hidden', fields.BooleanField(default=False)),
                ('reply', fields.TextField(null=True, unique=False)),
                ('replied_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('updated_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'reviews', 'app': 'reviews', 'unique_together': (('user_id', 'product_id'),), 'indexes': [Index(fields=['product_id', 'hidden', 'updated_at'])], 'pk_attr': 'id'},
            bases=['Model'],
        ),
    ]
