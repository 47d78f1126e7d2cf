"""Full-text search structures, per backend.

SQLite: an FTS5 (unicode61) external-content table over the pre-segmented search_title and
search_body columns of active products, kept in sync by triggers, plus a key table of one-deletion variants of
each vocabulary word for typo candidates.
PostgreSQL: stored tsvectors (all text; title only) built from the same pre-segmented columns
(no parser involved, so they hold exactly the tokens the SQLite index holds), GIN indexes on
them, and pg_trgm on the vocabulary for typo candidates.
"""

from tortoise import migrations
from tortoise.migrations import operations as ops

from storage.migration_sql import per_dialect

# Sort orders search walks (identical on both backends; ties end on id).
SORT_INDEXES = [
    "CREATE INDEX catalog_products_by_popularity ON catalog_products "
    "(sales DESC, views DESC, id DESC)",
    "CREATE INDEX catalog_products_by_price ON catalog_products (price, id)",
    "CREATE INDEX catalog_products_by_newest ON catalog_products (created_at DESC, id DESC)",
    "CREATE INDEX catalog_products_by_rating ON catalog_products "
    "(rating_avg DESC, rating_count DESC, id DESC)",
]
DROP_SORT_INDEXES = [
    f"DROP INDEX IF EXISTS catalog_products_by_{name}"
    for name in ("popularity", "price", "newest", "rating")
]

# Only active products are indexed, so a count of index hits is a count of sellable goods.
# '_' is a token character so that filter tokens (_c12 category, _bhuawei brand), which no
# typed query can produce, live in the same index.
SQLITE_UP = [
    """CREATE VIRTUAL TABLE catalog_fts USING fts5(
        search_title, search_body,
        content='catalog_products', content_rowid='id',
        tokenize="unicode61 remove_diacritics 2 tokenchars '_'", prefix='2 3'
    )""",
    """CREATE TRIGGER catalog_products_fts_ai AFTER INSERT ON catalog_products
    WHEN new.active BEGIN
        INSERT INTO catalog_fts(rowid, search_title, search_body)
        VALUES (new.id, new.search_title, new.search_body);
    END""",
    """CREATE TRIGGER catalog_products_fts_ad AFTER DELETE ON catalog_products
    WHEN old.active BEGIN
        INSERT INTO catalog_fts(catalog_fts, rowid, search_title, search_body)
        VALUES ('delete', old.id, old.search_title, old.search_body);
    END""",
    """CREATE TRIGGER catalog_products_fts_au
    AFTER UPDATE OF search_title, search_body, active ON catalog_products BEGIN
        INSERT INTO catalog_fts(catalog_fts, rowid, search_title, search_body)
        SELECT 'delete', old.id, old.search_title, old.search_body WHERE old.active;
        INSERT INTO catalog_fts(rowid, search_title, search_body)
        SELECT new.id, new.search_title, new.search_body WHERE new.active;
    END""",
    """CREATE TABLE catalog_term_keys (
        key TEXT NOT NULL, term TEXT NOT NULL, PRIMARY KEY (key, term)
    ) WITHOUT ROWID""",
    *SORT_INDEXES,
]
SQLITE_DOWN = [
    *DROP_SORT_INDEXES,
    "DROP TABLE IF EXISTS catalog_term_keys",
    "DROP TRIGGER IF EXISTS catalog_products_fts_au",
    "DROP TRIGGER IF EXISTS catalog_products_fts_ad",
    "DROP TRIGGER IF EXISTS catalog_products_fts_ai",
    "DROP TABLE IF EXISTS catalog_fts",
]

POSTGRES_UP = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    # Lexemes straight from the pre-segmented documents (array_to_tsvector: no text parser
    # re-splits them). Titles (with the filter tokens) get their own vector and index, so
    # "every word in the title" (the first relevance tier) is one indexed condition.
    """ALTER TABLE catalog_products ADD COLUMN search_tsv tsvector GENERATED ALWAYS AS (
        CASE WHEN active THEN array_to_tsvector(array_remove(
            string_to_array(search_title || ' ' || search_body, ' '), '')) END
    ) STORED""",
    """ALTER TABLE catalog_products ADD COLUMN title_tsv tsvector GENERATED ALWAYS AS (
        CASE WHEN active THEN array_to_tsvector(array_remove(
            string_to_array(search_title, ' '), '')) END
    ) STORED""",
    # fastupdate off: goods change rarely, and a pending list would be scanned by every query.
    "CREATE INDEX catalog_products_search_gin ON catalog_products USING gin (search_tsv) "
    "WITH (fastupdate = off)",
    "CREATE INDEX catalog_products_title_gin ON catalog_products USING gin (title_tsv) "
    "WITH (fastupdate = off)",
    "CREATE INDEX catalog_terms_trgm ON catalog_terms USING gin (term gin_trgm_ops)",
    *SORT_INDEXES,
]
POSTGRES_DOWN = [
    *DROP_SORT_INDEXES,
    "DROP INDEX IF EXISTS catalog_terms_trgm",
    "DROP INDEX IF EXISTS catalog_products_title_gin",
    "DROP INDEX IF EXISTS catalog_products_search_gin",
    "ALTER TABLE catalog_products DROP COLUMN IF EXISTS title_tsv",
    "ALTER TABLE catalog_products DROP COLUMN IF EXISTS search_tsv",
]


forward, backward = per_dialect(
    up={"sqlite": SQLITE_UP, "postgres": POSTGRES_UP},
    down={"sqlite": SQLITE_DOWN, "postgres": POSTGRES_DOWN},
)


class Migration(migrations.Migration):
    dependencies = [("catalog", "0001_initial")]

    operations = [ops.RunPython(forward, backward)]
