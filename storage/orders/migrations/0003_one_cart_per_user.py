"""One cart per user, enforced by the database.

CartRow.user is declared unique, but the generated 0001 migration created no unique
constraint for the foreign key (on SQLite nor PostgreSQL), so two first "add to cart" at once
could create two carts, after which every `CartRow.get(user_id=...)` fails. Duplicates are
merged into the user's oldest cart (a line of a unit that cart already holds is dropped, the
kept line wins) before the unique index is created.
"""

from tortoise import migrations
from tortoise.migrations import operations as ops

_KEEPER = "(SELECT MIN(k.id) FROM orders_carts k WHERE k.user_id = c.user_id)"
STATEMENTS = [
    # lines of a unit the oldest cart already has
    "DELETE FROM orders_cart_lines WHERE id IN ("
    " SELECT l.id FROM orders_cart_lines l JOIN orders_carts c ON c.id = l.cart_id"
    f" WHERE c.id <> {_KEEPER} AND EXISTS (SELECT 1 FROM orders_cart_lines o"
    f"  WHERE o.cart_id = {_KEEPER} AND o.product_id = l.product_id"
    "   AND o.variant_id = l.variant_id))",
    # of several duplicate carts holding the same unit, keep the line of the oldest cart
    "DELETE FROM orders_cart_lines WHERE id IN ("
    " SELECT l.id FROM orders_cart_lines l JOIN orders_carts c ON c.id = l.cart_id"
    " WHERE EXISTS (SELECT 1 FROM orders_cart_lines o JOIN orders_carts oc ON oc.id = o.cart_id"
    "  WHERE oc.user_id = c.user_id AND o.product_id = l.product_id"
    "   AND o.variant_id = l.variant_id AND o.cart_id < l.cart_id))",
    "UPDATE orders_cart_lines SET cart_id = (SELECT MIN(k.id) FROM orders_carts k"
    " WHERE k.user_id = (SELECT c.user_id FROM orders_carts c"
    "  WHERE c.id = orders_cart_lines.cart_id))",
    f"DELETE FROM orders_carts WHERE id IN (SELECT c.id FROM orders_carts c"
    f" WHERE c.id <> {_KEEPER})",
    "CREATE UNIQUE INDEX IF NOT EXISTS orders_carts_one_per_user ON orders_carts (user_id)",
]


async def forward(apps, schema_editor) -> None:
    for sql in STATEMENTS:
        await schema_editor.client.execute_script(sql)


async def backward(apps, schema_editor) -> None:
    await schema_editor.client.execute_script("DROP INDEX IF EXISTS orders_carts_one_per_user")


class Migration(migrations.Migration):
    dependencies = [("orders", "0002_applied_effects")]

    operations = [ops.RunPython(forward, backward)]
