"""Indexes for the merchants' console goods table (storage/catalog/console.py), the same on
both backends. Each sort of the table has an index that starts with the sort's columns and
carries every filtered column (active, category, stock), so a page, even a deep one under a
filter, is found by reading one index, never the products' rows; one more index serves the
counts of the stock and active filters, and one on the options serves their stock sums."""

from tortoise import migrations
from tortoise.migrations import operations as ops

from storage.migration_sql import per_dialect

_FILTERED = (
    "active, category_id, has_variants, on_hand, reserved, low_stock_threshold, variants_in_stock"
)
UP = [
    f"CREATE INDEX catalog_products_console_id ON catalog_products (id, {_FILTERED})",
    f"CREATE INDEX catalog_products_console_title ON catalog_products (title_en, id, {_FILTERED})",
    f"CREATE INDEX catalog_products_console_price ON catalog_products (price, id, {_FILTERED})",
    "CREATE INDEX catalog_products_console_sales ON catalog_products "
    f"(sales DESC, views DESC, id DESC, {_FILTERED})",
    "CREATE INDEX catalog_products_console_stock ON catalog_products "
    "(has_variants, active, on_hand, reserved, low_stock_threshold, variants_in_stock, "
    "category_id)",
    "CREATE INDEX catalog_variants_console_stock ON catalog_variants "
    "(product_id, active, on_hand, reserved)",
]
DOWN = [
    f"DROP INDEX IF EXISTS {name}"
    for name in (
        "catalog_variants_console_stock",
        "catalog_products_console_stock",
        "catalog_products_console_sales",
        "catalog_products_console_price",
        "catalog_products_console_title",
        "catalog_products_console_id",
    )
]
forward, backward = per_dialect({"sqlite": UP, "postgres": UP}, {"sqlite": DOWN, "postgres": DOWN})


class Migration(migrations.Migration):
    dependencies = [("catalog", "0004_kinds_digital")]

    operations = [ops.RunPython(forward, backward)]
