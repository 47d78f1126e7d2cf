from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0001_initial')]

    initial = True

    operations = [
        ops.CreateModel(
            name='CategoryRow',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('parent', fields.ForeignKeyField('catalog.CategoryRow', source_field='parent_id', null=True, db_constraint=True, to_field='id', related_name='children', on_delete=OnDelete.RESTRICT)),
                ('name_en', fields.CharField(max_length=64)),
                ('name_zh', fields.CharField(default='', max_length=64)),
                ('position', fields.IntField(default=0)),
                ('active', fields.BooleanField(default=True)),
            ],
            options={'table': 'catalog_categories', 'app': 'catalog', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ProductRow',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('sku', fields.CharField(unique=True, max_length=64)),
                ('category', fields.ForeignKeyField('catalog.CategoryRow', source_field='category_id', db_constraint=True, to_field='id', related_name='products', on_delete=OnDelete.RESTRICT)),
                ('title_en', fields.CharField(max_length=200)),
                ('title_zh', fields.CharField(default='', max_length=200)),
                ('description_en', fields.TextField(default='', unique=False)),
                ('description_zh', fields.TextField(default='', unique=False)),
                ('brand', fields.CharField(default='', max_length=64)),
                ('brand_key', fields.CharField(default='', db_index=True, max_length=64)),
                ('price', fields.BigIntField()),
                ('currency', fields.CharField(max_length=3)),
                ('compare_at', fields.BigIntField(null=True)),
                ('photos', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('specs', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('tags', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('on_hand', fields.IntField(default=0)),
                ('reserved', fields.IntField(default=0)),
                ('low_stock_threshold', fields.IntField(default=3)),
                ('active', fields.BooleanField(default=True)),
                ('has_variants', fields.BooleanField(default=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('rating_avg', fields.FloatField(default=0.0)),
                ('rating_count', fields.IntField(default=0)),
                ('views', fields.IntField(default=0)),
                ('sales', fields.IntField(default=0)),
                ('search_title', fields.TextField(default='', unique=False)),
                ('search_body', fields.TextField(default='', unique=False)),
            ],
            options={'table': 'catalog_products', 'app': 'catalog', 'indexes': [Index(fields=['category_id', 'active', 'created_at'])], 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='FavouriteRow',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('user', fields.ForeignKeyField('models.UserRow', source_field='user_id', db_constraint=True, to_field='id', related_name='catalog_favourites', on_delete=OnDelete.CASCADE)),
                ('product', fields.ForeignKeyField('catalog.ProductRow', source_field='product_id', db_constraint=True, to_field='id', related_name='favourites', on_delete=OnDelete.CASCADE)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'catalog_favourites', 'app': 'catalog', 'unique_together': (('user_id', 'product_id'),), 'indexes': [Index(fields=['user_id', 'created_at'])], 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='HistoryRow',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('user', fields.ForeignKeyField('models.UserRow', source_field='user_id', db_constraint=True, to_field='id', related_name='catalog_history', on_delete=OnDelete.CASCADE)),
                ('product', fields.ForeignKeyField('catalog.ProductRow', source_field='product_id', db_constraint=True, to_field='id', related_name='viewers', on_delete=OnDelete.CASCADE)),
                ('viewed_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'catalog_history', 'app': 'catalog', 'unique_together': (('user_id', 'product_id'),), 'indexes': [Index(fields=['user_id', 'viewed_at'])], 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='TermRow',
            fields=[
                ('term', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=40)),
                ('docs', fields.IntField(default=0)),
            ],
            options={'table': 'catalog_terms', 'app': 'catalog', 'pk_attr': 'term', 'table_description': 'The search vocabulary: every indexed word and in how many products it occurs.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='VariantRow',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('product', fields.ForeignKeyField('catalog.ProductRow', source_field='product_id', db_constraint=True, to_field='id', related_name='variants', on_delete=OnDelete.CASCADE)),
                ('sku', fields.CharField(unique=True, max_length=64)),
                ('options', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('price', fields.BigIntField()),
                ('compare_at', fields.BigIntField(null=True)),
                ('on_hand', fields.IntField(default=0)),
                ('reserved', fields.IntField(default=0)),
                ('position', fields.IntField(default=0)),
                ('active', fields.BooleanField(default=True)),
            ],
            options={'table': 'catalog_variants', 'app': 'catalog', 'indexes': [Index(fields=['product_id', 'position'])], 'pk_attr': 'id'},
            bases=['Model'],
        ),
    ]
