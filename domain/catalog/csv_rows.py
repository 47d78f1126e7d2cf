"""Bulk catalogue import/export as CSV: decode, validate every row, then apply all or nothing.

Columns (header names, any order; the first four are required):
    sku, title_en, category, price, title_zh, description_en, description_zh, compare_at,
    brand, stock, low_stock_threshold, active, specs, tags, photos
`category` is a category id or its path of names ("Electronics / Phones", English or Chinese
names, '/' or '>' between levels). A path naming categories that don't exist yet is listed as
missing; on request (`create_missing`) the import plans them (`CategoryPlan`) and creates them
in the same transaction as the goods. Prices are decimals in the shop currency ("12.50").
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
UNKNOWN_CATEGORY = N_("Unknown category: {category}.")
CATEGORY_NAME_MAX = 64
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
class CategoryPlan:
    """A category the import creates before its goods. Until it exists, the negative
    `temp_id` stands for it (in rows' category_id and in other plans' parent_id)."""

    temp_id: int
    parent_id: int | None  # a stored category's id, or an earlier plan's temp_id
    name: str
    position: int
    path: str  # "Tea / Green tea": how the file names it, for the preview


@dataclass(frozen=True, slots=True)
class ImportCheck:
    items: list[ImportItem]
    errors: list[RowError]
    missing_categories: list[str] = field(default_factory=list)  # paths nobody created yet
    new_categories: list[CategoryPlan] = field(default_factory=list)  # created on apply

    @property
    def ok(self) -> bool:
        return not self.errors and bool(self.items)

    @property
    def refused_lines(self) -> list[int]:
        return sorted({e.line for e in self.errors})

    @property
    def only_missing_categories(self) -> bool:
        """Every problem is a category the import could create (offer to create them)."""
        return bool(self.errors) and all(e.message == UNKNOWN_CATEGORY for e in self.errors)


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


def category_parts(raw: str) -> list[str]:
    """'Tea > Green  tea' -> ['Tea', 'Green tea'] (levels, whitespace collapsed)."""
    return [" ".join(p.split()) for p in raw.replace(">", "/").split("/") if p.strip()]


class CategoryIndex:
    """Find a category by its path of names, level by level (English or Chinese name at
    each level, case-insensitive); among same-named siblings the oldest wins."""

    def __init__(self, categories: dict[int, Category]) -> None:
        self.categories = categories
        self._children: dict[tuple[int | None, str], int] = {}
        for category in sorted(categories.values(), key=lambda c: abs(c.id)):
            self.add(category)

    def add(self, category: Category) -> None:
        self.categories[category.id] = category
        for name in (category.name.en, category.name.zh):
            if name:
                key = (category.parent_id, " ".join(name.split()).casefold())
                self._children.setdefault(key, category.id)

    def child(self, parent: int | None, name: str) -> int | None:
        return self._children.get((parent, name.casefold()))

    def resolve(self, raw: str) -> int | None:
        raw = raw.strip()
        number = whole_number(raw)
        if number is not None:
            return number if number in self.categories else None
        parts = category_parts(raw)
        current: int | None = None
        for part in parts:
            current = self.child(current, part)
            if current is None:
                return None
        return current


def resolve_category(categories: dict[int, Category], raw: str) -> int | None:
    return CategoryIndex(dict(categories)).resolve(raw)


def plan_categories(index: CategoryIndex, paths: list[str]) -> list[CategoryPlan]:
    """Plan the categories that the given paths name but that don't exist, parents first;
    `index` learns them (negative ids), so rows naming these paths resolve afterwards.
    Paths that are ids, or whose names can't be category names, are left out."""
    plans: list[CategoryPlan] = []
    for raw in paths:
        if whole_number(raw.strip()) is not None:
            continue
        try:
            parts = [
                clean_line(p, field=N_("The category name"), max_len=CATEGORY_NAME_MAX)
                for p in category_parts(raw)
            ]
        except ValidationError:
            continue
        current: int | None = None
        for depth, part in enumerate(parts):
            found = index.child(current, part)
            if found is None:
                siblings = [
                    c.position for c in index.categories.values() if c.parent_id == current
                ]
                temp_id = -(len(plans) + 1)
                path = " / ".join(parts[: depth + 1])
                plans.append(
                    CategoryPlan(temp_id, current, part, max(siblings, default=-1) + 1, path)
                )
                index.add(Category(temp_id, current, Localized(part), plans[-1].position))
                found = temp_id
            current = found
    return plans


def _cell(cells: dict[str, str], name: str) -> str:
    return (cells.get(name) or "").strip()


def check_row(
    line: int,
    cells: dict[str, str],
    currency: str,
    categories: CategoryIndex,
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
        category_id = categories.resolve(raw_category)
        if category_id is None:
            errors.append(RowError(line, UNKNOWN_CATEGORY, {"category": raw_category}))
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
    *,
    create_missing: bool = False,
) -> ImportCheck:
    """Validate every record; duplicate SKUs in the file are errors on each later line.
    Category paths that don't exist are listed in `missing_categories`; with
    `create_missing` they are planned instead (`new_categories`) and their rows pass."""
    index = CategoryIndex(dict(categories))
    wanted = {_cell(cells, "category"): None for _, cells in rows if _cell(cells, "category")}
    missing = [raw for raw in wanted if index.resolve(raw) is None]
    plans = plan_categories(index, missing) if create_missing else []
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
            line, cells, currency, index, existing.get(_cell(cells, "sku"))
        )
        errors.extend(row_errors)
        if item is not None:
            items.append(item)
    if not rows:
        errors.append(RowError(1, N_("The file has a header but no goods.")))
    still_missing = [raw for raw in missing if index.resolve(raw) is None]
    return ImportCheck(items, errors, still_missing, plans)


def template_csv(categories: dict[int, Category], currency: str) -> str:
    """A small file that imports as it is: the header and two sample goods in the shop's
    first active category (or a "Samples" category the import offers to create)."""
    active = sorted(
        (c for c in categories.values() if c.active and c.parent_id is None),
        key=lambda c: (c.position, c.id),
    )
    category = category_label(categories, active[0].id, "en") if active else "Samples"
    sink = io.StringIO()
    writer = csv.writer(sink)
    writer.writerow(COLUMNS)
    samples = (
        (
            "SAMPLE-001",
            "Sample green tea",
            "绿茶样品",
            "Loose leaf, 100 g.",
            "",
            format_price_plain(1250, currency),
            "25",
            "Weight: 100 g; Origin: Hangzhou",
            "tea|green",
        ),
        (
            "SAMPLE-002",
            "Sample tea cup",
            "",
            "Porcelain, 150 ml.",
            "",
            format_price_plain(800, currency),
            "10",
            "Volume: 150 ml",
            "cup",
        ),
    )
    for sku, title, title_zh, description, description_zh, price, stock, specs, tags in samples:
        row = {
            "sku": sku,
            "title_en": title,
            "title_zh": title_zh,
            "description_en": description,
            "description_zh": description_zh,
            "category": category,
            "price": price,
            "compare_at": "",
            "brand": "",
            "stock": stock,
            "low_stock_threshold": "3",
            "active": "1",
            "specs": specs,
            "tags": tags,
            "photos": "",
        }
        writer.writerow([row[c] for c in COLUMNS])
    return sink.getvalue()


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
