"""Book the stock that existed before the ledger as one 'opening' movement per unit, so that
on_hand equals the sum of the ledger from the start. Plain SQL valid on SQLite and PostgreSQL."""

from tortoise import migrations
from tortoise.migrations import operations as ops

OPENING = [
    """INSERT INTO stock_movements
        (product_id, variant_id, delta_on_hand, delta_reserved, reason, ref, actor, created_at)
    SELECT id, NULL, on_hand, reserved, 'opening', 'ledger start', 0, CURRENT_TIMESTAMP
    FROM catalog_products WHERE has_variants = FALSE AND (on_hand <> 0 OR reserved <> 0)""",
    """INSERT INTO stock_movements
        (product_id, variant_id, delta_on_hand, delta_reserved, reason, ref, actor, created_at)
    SELECT product_id, id, on_hand, reserved, 'opening', 'ledger start', 0, CURRENT_TIMESTAMP
    FROM catalog_variants WHERE on_hand <> 0 OR reserved <> 0""",
]


async def forward(apps, schema_editor) -> None:  # noqa: ANN001
    for sql in OPENING:
        await schema_editor.client.execute_script(sql)


async def backward(apps, schema_editor) -> None:  # noqa: ANN001
    await schema_editor.client.execute_script(
        "DELETE FROM stock_movements WHERE reason = 'opening' AND ref = 'ledger start'"
    )


class Migration(migrations.Migration):
    dependencies = [("admin", "0001_initial"), ("catalog", "0001_initial")]

    operations = [ops.RunPython(forward, backward)]
