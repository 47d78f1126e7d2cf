from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0001_initial')]

    initial = True

    operations = [
        ops.CreateModel(
            name='CartReminderRow',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('user', fields.OneToOneField('models.UserRow', source_field='user_id', db_constraint=True, to_field='id', related_name='cart_reminder', on_delete=OnDelete.CASCADE)),
                ('reminded_for', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('reminded_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'jobs_cart_reminders', 'app': 'jobs', 'pk_attr': 'id', 'table_description': 'The cart change (its updated_at) the shopper was last reminded about.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='LowStockMarkRow',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('product_id', fields.IntField()),
                ('variant_id', fields.IntField(default=0)),
                ('alerted_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'jobs_low_stock_marks', 'app': 'jobs', 'unique_together': (('product_id', 'variant_id'),), 'pk_attr': 'id', 'table_description': "The 'alerted low' marker of one sellable unit (set when alerted, cleared on recovery)."},
            bases=['Model'],
        ),
    ]
