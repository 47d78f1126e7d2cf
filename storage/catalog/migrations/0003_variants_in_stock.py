"""A stored "some active variant has sellable stock" flag on products, kept by triggers.

The "in stock only" search filter used to look up a product's variants for every candidate
row; on a broad word with thousands of hits that lookup was most of the query's time. The flag
lives only in SQL (not in the Tortoise model, so an ORM save of a product can never write a
stale value over it) and triggers on catalog_variants keep it true to the variants whatever
path changes them: admin edits, the stock ledger, checkout reservations, imports.

PostgreSQL: the trigger locks the product row before looking at the variants, so two
transactions changing different variants of one product compute the flag one after the other,
the second seeing the first's committed stock (read committed takes a new snapshot per
statement). The product row is only written when the flag actually changes.
"""

from tortoise import migrations
from tortoise.migrations import operations as ops

from storage.migration_sql import per_dialect

_SELLABLE = (
    "EXISTS (SELECT 1 FROM catalog_variants v WHERE v.product_id = {pid} "
    "AND v.active = TRUE AND v.on_hand > v.reserved)"
)
_BACKFILL = (
    "UPDATE catalog_products SET variants_in_stock = "
    + _SELLABLE.format(pid="catalog_products.id")
    + " WHERE has_variants = TRUE"
)


def _sqlite_trigger(name: str, event: str, row: str) -> str:
    flag = _SELLABLE.format(pid=f"{row}.product_id")
    return f"""CREATE TRIGGER {name} AFTER {event} ON catalog_variants BEGIN
        UPDATE catalog_products SET variants_in_stock = {flag}
        WHERE id = {row}.product_id AND variants_in_stock IS NOT {flag};
    END"""


SQLITE_UP = [
    "ALTER TABLE catalog_products ADD COLUMN variants_in_stock BOOLEAN NOT NULL DEFAULT 0",
    _sqlite_trigger("catalog_variants_stock_ai", "INSERT", "new"),
    _sqlite_trigger("catalog_variants_stock_au", "UPDATE OF on_hand, reserved, active", "new"),
    _sqlite_trigger("catalog_variants_stock_ad", "DELETE", "old"),
    _BACKFILL,
]
SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS catalog_variants_stock_ai",
    "DROP TRIGGER IF EXISTS catalog_variants_stock_au",
    "DROP TRIGGER IF EXISTS catalog_variants_stock_ad",
    "ALTER TABLE catalog_products DROP COLUMN variants_in_stock",
]

POSTGRES_UP = [
    "ALTER TABLE catalog_products ADD COLUMN variants_in_stock BOOLEAN NOT NULL DEFAULT FALSE",
    """CREATE FUNCTION catalog_variants_stock_sync() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
        pid integer := CASE WHEN TG_OP = 'DELETE' THEN OLD.product_id ELSE NEW.product_id END;
        sellable boolean;
    BEGIN
        PERFORM 1 FROM catalog_products WHERE id = pid FOR UPDATE;
        sellable := """
    + _SELLABLE.format(pid="pid")
    + """;
        UPDATE catalog_products SET variants_in_stock = sellable
        WHERE id = pid AND variants_in_stock IS DISTINCT FROM sellable;
        RETURN NULL;
    END $$""",
    "CREATE TRIGGER catalog_variants_stock AFTER INSERT OR DELETE "
    "OR UPDATE OF on_hand, reserved, active ON catalog_variants "
    "FOR EACH ROW EXECUTE FUNCTION catalog_variants_stock_sync()",
    _BACKFILL,
]
POSTGRES_DOWN = [
    "DROP TRIGGER IF EXISTS catalog_variants_stock ON catalog_variants",
    "DROP FUNCTION IF EXISTS catalog_variants_stock_sync()",
    "ALTER TABLE catalog_products DROP COLUMN IF EXISTS variants_in_stock",
]


forward, backward = per_dialect(
    up={"sqlite": SQLITE_UP, "postgres": POSTGRES_UP},
    down={"sqlite": SQLITE_DOWN, "postgres": POSTGRES_DOWN},
)


class Migration(migrations.Migration):
    dependencies = [("catalog", "0002_search_index")]

    operations = [ops.RunPython(forward, backward)]
