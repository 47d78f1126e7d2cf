"""Bulk catalogue import/export as CSV: decode, validate every row, then apply all or nothing.

Columns (header names, any order; the first four are required):
    sku, title_en, category, price, title_zh, description_en, description_zh, compare_at,
    brand, stock, low_stock_threshold, active, specs, tags, photos
`category` is a category id or its path of names ("Electronics / Phones", English or Chinese
names, '/' or '>' between levels). Prices are decimals in the shop currency ("12.50").
`specs` is "key: value; key: value"; `tags` and `photos` (Telegram file ids) are '|'-separated.
An existing SKU is updated (empty optional cells leave its fields alone), a new one created.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from domain.catalog.merchant import category_label
from domain.catalog.merchant_input import (
    clean_description,
    clean_sku,
    clean_title,
    format_price_plain,
    parse_count,
    parse_price,
    parse_specs,
    specs_text,
)
from domain.catalog.types import Category, Localized, Product
from domain.kernel.errors import DomainError, ValidationError
from domain.kernel.i18n import N_
from domain.kernel.text import clean_line, whole_number

MAX_IMPORT_BYTES = 5 * 1024 * 1024
MAX_IMPORT_ROWS = 50_000
REQUIRED_COLUMNS = ("sku", "title_en", "category", "price")
COLUMNS = (
    "sku",
    "title_en",
    "title_zh",
    "description_en",
    "description_zh",
    "category",
    "price",
    "compare_at",
    "brand",
    "stock",
    "low_stock_threshold",
    "active",
    "specs",
    "tags",
    "photos",
)
_TRUE = {"1", "yes", "y", "true", "on", "是"}
_FALSE = {"0", "no", "n", "false", "off", "否"}


class ImportRefused(DomainError):
    """The whole file is unusable (size, binary, encoding, header)."""


@dataclass(frozen=True, slots=True)
class RowError:
    line: int  # 1-based line of the file where the record starts (the header is line 1)
    message: str  # msgid with {params}
    params: dict[str, object] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ExistingProduct:
    id: int
    has_variants: bool


@dataclass(frozen=True, slots=True)
class ImportItem:
    """One valid row: `changes` for an existing product, or every field for a new one."""

    line: int
    sku: str
    existing_id: int | None
    changes: dict[str, object]
    stock: int | None  # the stock level the row sets (None: leave it)


@dataclass(frozen=True, slots=True)
class ImportCheck:
    items: list[ImportItem]
    errors: list[RowError]

    @property
    def ok(self) -> bool:
        return not self.errors and bool(self.items)


def decode_csv(data: bytes) -> str:
    """UTF-8 (with or without BOM) or GBK/GB18030 text; refuses big, binary or other files."""
    if len(data) > MAX_IMPORT_BYTES:
        raise ImportRefused(N_("The file is larger than 5 MB. Split it into smaller files."))
    if b"\x00" in data[:65536] or data[:4] in (b"PK\x03\x04", b"%PDF") or data[:2] == b"\xff\xd8":
        raise ImportRefused(
            N_("That is not a CSV text file. Export your sheet as CSV (UTF-8) and send it.")
        )
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="strict")
    for encoding in ("utf-8", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ImportRefused(N_("I can't read the file's encoding. Save it as CSV UTF-8."))


def _dialect(text: str) -> type[csv.Dialect] | csv.Dialect:
    header = text.split("\n", 1)[0]
    delimiter = max(",;\t", key=header.count)
    return csv.excel_tab if delimiter == "\t" else _semicolon if delimiter == ";" else csv.excel


class _semicolon(csv.excel):
    delimiter = ";"


def read_rows(text: str) -> tuple[list[str], list[tuple[int, dict[str, str]]]]:
    """Header (normalised names) and (line, cells) records; checks the header."""
    reader = csv.reader(io.StringIO(text, newline=""), _dialect(text))
    try:
        header = [h.strip().lower() for h in next(reader)]
    except (StopIteration, csv.Error):
        raise ImportRefused(N_("The file is empty.")) from None
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    unknown = [h for h in header if h and h not in COLUMNS]
    duplicated = sorted({h for h in header if h and header.count(h) > 1})
    if missing or unknown or duplicated:
        raise ImportRefused(
            N_(
                "The header row is wrong (missing: {missing}; unknown: {unknown}; repeated: "
                "{repeated}). The first line must name the columns: {columns}."
            ),
            missing=", ".join(missing) or "-",
            unknown=", ".join(unknown) or "-",
            repeated=", ".join(duplicated) or "-",
            columns=", ".join(COLUMNS),
        )
    rows: list[tuple[int, dict[str, str]]] = []
    start = reader.line_num + 1
    try:
        for cells in reader:
            if any(c.strip() for c in cells):
                if len(cells) > len(header):
                    cells = [*cells[: len(header)], "\x00extra"]
                rows.append((start, dict(zip(header, cells, strict=False))))
            start = reader.line_num + 1
            if len(rows) > MAX_IMPORT_ROWS:
                raise ImportRefused(
                    N_("At most {max} goods per file, please."), max=MAX_IMPORT_ROWS
                )
    except csv.Error:
        raise ImportRefused(
            N_("Line {line} is not valid CSV (check the quotes)."), line=reader.line_num
        ) from None
    return header, rows


def resolve_category(categories: dict[int, Category], raw: str) -> int | None:
    raw = raw.strip()
    number = whole_number(raw)
    if number is not None:
        return number if number in categories else None
    wanted = [p.strip().casefold() for p in raw.replace(">", "/").split("/") if p.strip()]
    for category_id in categories:
        for locale in ("en", "zh"):
            label = category_label(categories, category_id, locale)
            if [p.strip().casefold() for p in label.split(" / ")] == wanted:
                return category_id
    return None


def _cell(cells: dict[str, str], name: str) -> str:
    return (cells.get(name) or "").strip()


def check_row(
    line: int,
    cells: dict[str, str],
    currency: str,
    categories: dict[int, Category],
    existing: ExistingProduct | None,
) -> tuple[ImportItem | None, list[RowError]]:
    """Validate one record; every problem of the row is reported, not just the first."""
    errors: list[RowError] = []
    changes: dict[str, object] = {}
    stock: int | None = None

    def attempt(column: str, parse: object) -> None:
        raw = _cell(cells, column)
        if not raw:
            return
        try:
            assert callable(parse)
            changes[column] = parse(raw)
        except ValidationError as exc:
            errors.append(
                RowError(
                    line,
                    N_("{column}: {problem}"),
                    {"column": column, "problem": exc.message, **exc.params},
                )
            )

    if "\x00extra" in cells.values():
        errors.append(RowError(line, N_("This row has more cells than the header.")))
    sku = _cell(cells, "sku")
    try:
        sku = clean_sku(sku)
    except ValidationError as exc:
        errors.append(RowError(line, N_("sku: {problem}"), {"problem": exc.message}))
    for column in REQUIRED_COLUMNS:
        if not _cell(cells, column) and not (existing and column != "sku"):
            errors.append(RowError(line, N_("{column} is required."), {"column": column}))
    attempt("title_en", clean_title)
    attempt("title_zh", clean_title)
    attempt("description_en", clean_description)
    attempt("description_zh", clean_description)
    attempt("price", lambda raw: parse_price(raw, currency))
    attempt("compare_at", lambda raw: parse_price(raw, currency))
    attempt("brand", lambda raw: clean_line(raw, field=N_("Brand"), max_len=64))
    attempt("low_stock_threshold", lambda raw: parse_count(raw, N_("The low-stock threshold")))
    attempt("specs", parse_specs)
    attempt("tags", lambda raw: tuple(t.strip() for t in raw.split("|") if t.strip()))
    attempt("photos", lambda raw: tuple(p.strip() for p in raw.split("|") if p.strip()))
    attempt("active", _parse_bool)
    raw_stock = _cell(cells, "stock")
    if raw_stock:
        try:
            stock = parse_count(raw_stock, N_("Stock"))
        except ValidationError as exc:
            params = {"column": "stock", "problem": exc.message, **exc.params}
            errors.append(RowError(line, N_("{column}: {problem}"), params))
    raw_category = _cell(cells, "category")
    if raw_category:
        category_id = resolve_category(categories, raw_category)
        if category_id is None:
            errors.append(
                RowError(line, N_("Unknown category: {category}."), {"category": raw_category})
            )
        changes["category_id"] = category_id
    if existing is not None and existing.has_variants and (raw_stock or "price" in changes):
        errors.append(
            RowError(
                line,
                N_(
                    "This product has options (variants): their price and stock are set "
                    "per option, so leave price and stock empty."
                ),
            )
        )
    if errors:
        return None, errors
    return ImportItem(
        line, sku, existing.id if existing else None, _as_catalog_changes(changes), stock
    ), []


def _parse_bool(raw: str) -> bool:
    value = raw.strip().casefold()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ValidationError(N_("write 1 or 0 (yes or no)."))


def _as_catalog_changes(cells: dict[str, object]) -> dict[str, object]:
    """Row columns -> the field names of the catalogue (title/description as Localized)."""
    changes = dict(cells)
    for name in ("title", "description"):
        en, zh = changes.pop(f"{name}_en", None), changes.pop(f"{name}_zh", None)
        if en is not None or zh is not None:
            changes[name] = (en, zh)  # merged with the stored text when applied
    return changes


def merge_localized(current: Localized, pair: object) -> Localized:
    assert isinstance(pair, tuple)
    en, zh = pair
    return Localized(
        str(en) if en is not None else current.en, str(zh) if zh is not None else current.zh
    )


def check_import(
    rows: list[tuple[int, dict[str, str]]],
    currency: str,
    categories: dict[int, Category],
    existing: dict[str, ExistingProduct],
) -> ImportCheck:
    """Validate every record; duplicate SKUs in the file are errors on each later line."""
    items: list[ImportItem] = []
    errors: list[RowError] = []
    first_line: dict[str, int] = {}
    for line, cells in rows:
        sku_key = _cell(cells, "sku").casefold()
        if sku_key and sku_key in first_line:
            params = {"sku": _cell(cells, "sku"), "first": first_line[sku_key]}
            errors.append(RowError(line, N_("SKU {sku} is already on line {first}."), params))
            continue
        if sku_key:
            first_line[sku_key] = line
        item, row_errors = check_row(
            line, cells, currency, categories, existing.get(_cell(cells, "sku"))
        )
        errors.extend(row_errors)
        if item is not None:
            items.append(item)
    if not rows:
        errors.append(RowError(1, N_("The file has a header but no goods.")))
    return ImportCheck(items, errors)


def export_header() -> list[str]:
    return list(COLUMNS)


def export_row(product: Product, categories: dict[int, Category]) -> list[str]:
    """One product as CSV cells, in the same shape the import reads back (goods with variants
    leave price and stock empty: those live on the variants)."""
    return [
        product.sku,
        product.title.en,
        product.title.zh,
        product.description.en,
        product.description.zh,
        category_label(categories, product.category_id, "en") or str(product.category_id),
        "" if product.has_variants else format_price_plain(product.price, product.currency),
        format_price_plain(product.compare_at, product.currency)
        if product.compare_at is not None
        else "",
        product.brand,
        "" if product.has_variants else str(product.on_hand),
        str(product.low_stock_threshold),
        "1" if product.active else "0",
        specs_text(product.specs, "; "),
        "|".join(product.tags),
        "|".join(product.photos),
    ]
