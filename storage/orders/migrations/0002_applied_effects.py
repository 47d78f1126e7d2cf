from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0001_initial'), ('orders', '0001_initial')]

    initial = False

    operations = [
        ops.CreateModel(
            name='AppliedEffectRow',
            fields=[
                ('key', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=96)),
                ('result_id', fields.IntField(null=True)),
                ('created_at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'orders_applied_effects', 'app': 'orders', 'pk_attr': 'key', 'table_description': 'An effect of one Telegram update that is done (domain.kernel.idempotency): committed in the'},
            bases=['Model'],
        ),
    ]
