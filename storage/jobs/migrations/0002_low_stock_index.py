"""Indexes for the jobs' queries; expression indexes so the every-minute low-stock check
reads only the low units.

The check's WHERE clauses are written exactly as these expressions (SQLite and PostgreSQL
both use an expression index only for an identical expression).
"""

from tortoise import migrations
from tortoise.migrations import operations as ops

STATEMENTS = [
    "CREATE INDEX IF NOT EXISTS jobs_products_stock_margin ON catalog_products "
    "((on_hand - reserved - low_stock_threshold))",
    "CREATE INDEX IF NOT EXISTS jobs_variants_available ON catalog_variants "
    "((on_hand - reserved))",
    "CREATE INDEX IF NOT EXISTS jobs_products_threshold ON catalog_products "
    "(low_stock_threshold)",
    # the daily sales report and the abandoned-cart sweep read by these columns
    "CREATE INDEX IF NOT EXISTS jobs_orders_paid_at ON orders_orders (paid_at)",
    "CREATE INDEX IF NOT EXISTS jobs_carts_updated_at ON orders_carts (updated_at)",
]
DROP = [
    "DROP INDEX IF EXISTS jobs_products_stock_margin",
    "DROP INDEX IF EXISTS jobs_variants_available",
    "DROP INDEX IF EXISTS jobs_products_threshold",
    "DROP INDEX IF EXISTS jobs_orders_paid_at",
    "DROP INDEX IF EXISTS jobs_carts_updated_at",
]


async def forward(apps, schema_editor) -> None:  # noqa: ANN001
    for sql in STATEMENTS:
        await schema_editor.client.execute_script(sql)


async def backward(apps, schema_editor) -> None:  # noqa: ANN001
    for sql in DROP:
        await schema_editor.client.execute_script(sql)


class Migration(migrations.Migration):
    dependencies = [
        ("jobs", "0001_initial"), ("catalog", "0002_search_index"), ("orders", "0001_initial")
    ]

    operations = [ops.RunPython(forward, backward)]
