"""Tortoise models of the catalogue app (label "catalog").

`search_title`/`search_body` hold the pre-segmented documents (domain.catalog.search_text) that the
SQLite FTS5 table and the PostgreSQL tsvector column index; migrations keep those in sync.
"""

from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from storage.models import UserRow


class CategoryRow(Model):
    id = fields.IntField(primary_key=True)
    parent: fields.ForeignKeyNullableRelation["CategoryRow"] = fields.ForeignKeyField(
        "catalog.CategoryRow", related_name="children", null=True, on_delete=fields.RESTRICT
    )
    parent_id: int | None
    name_en = fields.CharField(max_length=64)
    name_zh = fields.CharField(max_length=64, default="")
    position = fields.IntField(default=0)
    active = fields.BooleanField(default=True)

    class Meta:
        table = "catalog_categories"


class ProductRow(Model):
    id = fields.IntField(primary_key=True)
    sku = fields.CharField(max_length=64, unique=True)
    category: fields.ForeignKeyRelation[CategoryRow] = fields.ForeignKeyField(
        "catalog.CategoryRow", related_name="products", on_delete=fields.RESTRICT
    )
    category_id: int
    title_en = fields.CharField(max_length=200)
    title_zh = fields.CharField(max_length=200, default="")
    description_en = fields.TextField(default="")
    description_zh = fields.TextField(default="")
    brand = fields.CharField(max_length=64, default="")
    brand_key = fields.CharField(max_length=64, default="", db_index=True)  # case-folded
    price = fields.BigIntField()  # minor units; the lowest variant price when has_variants
    currency = fields.CharField(max_length=3)
    compare_at = fields.BigIntField(null=True)
    photos: fields.JSONField[list[str]] = fields.JSONField(default=list)
    # [[key, value], ...] in display order
    specs: fields.JSONField[list[list[str]]] = fields.JSONField(default=list)
    tags: fields.JSONField[list[str]] = fields.JSONField(default=list)
    # Stock of the product itself; unused when it has variants (each variant has its own).
    on_hand = fields.IntField(default=0)
    reserved = fields.IntField(default=0)
    low_stock_threshold = fields.IntField(default=3)
    active = fields.BooleanField(default=True)
    has_variants = fields.BooleanField(default=False)
    created_at = fields.DatetimeField()
    rating_avg = fields.FloatField(default=0.0)
    rating_count = fields.IntField(default=0)
    views = fields.IntField(default=0)
    sales = fields.IntField(default=0)
    search_title = fields.TextField(default="")
    search_body = fields.TextField(default="")
    # domain.catalog.types.ProductKind: physical (ships), digital (a pool of DigitalUnitRow),
    # service (no stock, no shipping). Digital goods and services are paid in Stars only.
    kind = fields.CharField(max_length=16, default="physical")
    stars_price = fields.IntField(null=True)  # Stars (XTR); unset: derived from the shop's rate

    class Meta:
        table = "catalog_products"
        # The sort indexes (popularity, price, newest, rating) are created with fixed names
        # in migration 0002, because search walks them by name (SQLite INDEXED BY).
        indexes = (("category_id", "active", "created_at"),)


class VariantRow(Model):
    id = fields.IntField(primary_key=True)
    product: fields.ForeignKeyRelation[ProductRow] = fields.ForeignKeyField(
        "catalog.ProductRow", related_name="variants", on_delete=fields.CASCADE
    )
    product_id: int
    sku = fields.CharField(max_length=64, unique=True)
    options: fields.JSONField[list[list[str]]] = fields.JSONField(default=list)  # [[name, value]]
    price = fields.BigIntField()
    compare_at = fields.BigIntField(null=True)
    on_hand = fields.IntField(default=0)
    reserved = fields.IntField(default=0)
    position = fields.IntField(default=0)
    active = fields.BooleanField(default=True)

    class Meta:
        table = "catalog_variants"
        indexes = (("product_id", "position"),)


class FavouriteRow(Model):
    id = fields.IntField(primary_key=True)
    user: fields.ForeignKeyRelation["UserRow"] = fields.ForeignKeyField(
        "models.UserRow", related_name="catalog_favourites", on_delete=fields.CASCADE
    )
    user_id: int
    product: fields.ForeignKeyRelation[ProductRow] = fields.ForeignKeyField(
        "catalog.ProductRow", related_name="favourites", on_delete=fields.CASCADE
    )
    product_id: int
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "catalog_favourites"
        unique_together = (("user_id", "product_id"),)
        indexes = (("user_id", "created_at"),)


class HistoryRow(Model):
    id = fields.IntField(primary_key=True)
    user: fields.ForeignKeyRelation["UserRow"] = fields.ForeignKeyField(
        "models.UserRow", related_name="catalog_history", on_delete=fields.CASCADE
    )
    user_id: int
    product: fields.ForeignKeyRelation[ProductRow] = fields.ForeignKeyField(
        "catalog.ProductRow", related_name="viewers", on_delete=fields.CASCADE
    )
    product_id: int
    viewed_at = fields.DatetimeField()

    class Meta:
        table = "catalog_history"
        unique_together = (("user_id", "product_id"),)
        indexes = (("user_id", "viewed_at"),)


class TermRow(Model):
    """The search vocabulary: every indexed word and in how many products it occurs.

    Typo correction looks candidates up here (pg_trgm on PostgreSQL, a one-deletion key
    table on SQLite) instead of scanning products.
    """

    term = fields.CharField(max_length=40, primary_key=True)
    docs = fields.IntField(default=0)

    class Meta:
        table = "catalog_terms"


class DigitalUnitRow(Model):
    """One sellable unit of a digital good: a code/key/link (text) or a Telegram file.

    `payload_key` identifies the unit for duplicate checks (a hash of the text, or the file's
    file_unique_id). A product's `on_hand` is kept equal to its count of available units inside
    the same transactions (domain.digital), so every stock reader sees digital stock unchanged.
    `product_id` is not a foreign key: a sold unit stays with its order when the product is
    deleted.
    """

    id = fields.BigIntField(primary_key=True)
    product_id = fields.IntField()
    payload_kind = fields.CharField(max_length=8)  # "text" | "file" | "photo"
    payload = fields.TextField()
    payload_key = fields.CharField(max_length=80)
    file_name = fields.CharField(max_length=255, default="")
    status = fields.CharField(max_length=10, default="available")  # available | sold | revoked
    order_id = fields.IntField(null=True, db_index=True)
    line = fields.IntField(null=True)  # the order line's position
    sold_at = fields.DatetimeField(null=True)
    sent_at = fields.DatetimeField(null=True)  # the buyer's message with it went out
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "catalog_digital_units"
        unique_together = (("product_id", "payload_key"),)
        indexes = (("product_id", "status", "id"),)
