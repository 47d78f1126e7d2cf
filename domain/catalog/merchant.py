"""The merchant's side of the catalogue: create and edit goods, categories, delete safely.

Concurrent edits: stock is never edited as a field (it moves only by ledger deltas, see
domain.inventory.ledger). Every other field edit is optimistic: the screen the admin edits from
carries the product's edit `version`, and the change is stored only if the version is still
the same (compare-and-set, bumped by each edit). If another admin saved first, the second one
gets `EditConflict` and sees the fresh product instead of silently overwriting it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal, Protocol

from domain.catalog.merchant_input import (
    MAX_PHOTOS,
    SKU_RE,
    clean_description,
    clean_sku,
    clean_title,
    format_price_plain,
    parse_count,
    parse_price,
    parse_specs,
    specs_text,
)
from domain.catalog.types import (
    Category,
    CategoryDraft,
    CategoryNotFound,
    Localized,
    Product,
    ProductDraft,
    ProductNotFound,
    Variant,
    VariantDraft,
)
from domain.kernel.errors import DomainError, ValidationError
from domain.kernel.i18n import N_
from domain.kernel.text import clean_line, whole_number
from domain.staff.audit import AuditService

EDITABLE_FIELDS = (
    "title_en",
    "title_zh",
    "description_en",
    "description_zh",
    "price",
    "compare_at",
    "category",
    "photos",
    "specs",
    "threshold",
    "sku",
    "brand",
)
DeleteOutcome = Literal["deleted", "deactivated"]
# Fields a form may leave empty: empty clears them (the chat's "-").
OPTIONAL_FIELDS = frozenset({"title_zh", "description_zh", "compare_at", "specs", "brand"})
MAX_VARIANTS = 50


class EditConflict(DomainError):
    message = N_(
        "Someone else changed this product while you were editing it. Here it is now; "
        "please make your change again."
    )


class SkuTaken(ValidationError):
    message = N_("Another product already uses the SKU {sku}.")


class ProductReferences(Protocol):
    async def is_referenced(self, product_id: int) -> bool:
        """True when an order (or anything that must keep it) points at the product."""
        ...


class MerchantCatalog(Protocol):
    async def create_product(self, draft: ProductDraft, actor: int) -> Product:
        """Store the product with zero stock, then book `draft.on_hand` as an opening
        ledger movement, in one transaction. Raises SkuTaken."""
        ...

    async def find_product(self, product_id: int | None, sku: str | None) -> Product | None:
        """A product by id or SKU, active or not."""
        ...

    async def version(self, product_id: int) -> int: ...

    async def list_variants(self, product_id: int) -> list[Variant]:
        """The product's options, inactive ones too, by position."""
        ...

    async def update_if_version(
        self, product_id: int, expected: int, changes: dict[str, object]
    ) -> bool | None:
        """Apply `changes` only if the edit version is still `expected` (then bump it).
        False on a conflict, None if the product is gone. Raises SkuTaken."""
        ...

    async def set_active(self, product_id: int, active: bool) -> bool: ...

    async def delete_product(self, product_id: int) -> bool: ...

    async def all_categories(self) -> list[Category]: ...

    async def create_category(self, draft: CategoryDraft) -> Category: ...

    async def update_category(self, category_id: int, changes: dict[str, object]) -> bool:
        """Columns: name (Localized), parent_id, position, active."""
        ...

    async def set_positions(self, positions: dict[int, int]) -> None: ...


@dataclass(frozen=True, slots=True)
class EditableProduct:
    product: Product
    version: int


class MerchantService:
    """Goods and categories as staff manage them; every action lands in the audit log."""

    def __init__(
        self,
        catalog: MerchantCatalog,
        references: ProductReferences,
        audit: AuditService,
        currency: str,
        minor_units_per_star: int | None = None,
    ) -> None:
        """`minor_units_per_star`: the shop's Stars rate, for the Stars price of a digital good
        or service without its own (None: not shown)."""
        self.catalog = catalog
        self.references = references
        self.audit = audit
        self.currency = currency
        self.minor_units_per_star = minor_units_per_star

    # ---- goods ----

    async def create_product(self, actor: int, draft: ProductDraft) -> Product:
        if not draft.category_id or draft.category_id not in await self._category_map():
            raise CategoryNotFound()
        if len(draft.photos) > MAX_PHOTOS:
            raise ValidationError(N_("At most {max} photos, please."), max=MAX_PHOTOS)
        draft = replace(draft, sku=clean_sku(draft.sku))
        product = await self.catalog.create_product(draft, actor)
        await self.audit.record(
            actor,
            "product.create",
            f"product:{product.id}",
            {"sku": product.sku, "price": product.price, "on_hand": draft.on_hand},
        )
        return product

    async def find(self, query: str) -> Product:
        """By id ('42', '#42') or SKU, including inactive goods."""
        raw = (query or "").strip().lstrip("#")
        found = None
        number = whole_number(raw)
        if number is not None and number < 2**31:
            found = await self.catalog.find_product(number, None)
        if found is None and SKU_RE.fullmatch(raw):  # nothing else can be a SKU (and NUL
            found = await self.catalog.find_product(None, raw)  # or a long text upsets the DB)
        if found is None:
            raise ProductNotFound()
        return found

    async def editable(self, product_id: int) -> EditableProduct:
        found = await self.catalog.find_product(product_id, None)
        if found is None:
            raise ProductNotFound()
        return EditableProduct(found, await self.catalog.version(product_id))

    async def variants(self, product_id: int) -> list[Variant]:
        """Every option of a product (inactive ones too), for staff screens."""
        return await self.catalog.list_variants(product_id)

    def parse_field(self, product: Product, field: str, text: str) -> dict[str, object]:
        """Turn what the admin typed for `field` into catalogue changes (validated)."""
        if field == "title_en":
            return {"title": Localized(clean_title(text), product.title.zh)}
        if field == "title_zh":
            return {"title": Localized(product.title.en, _optional(text, clean_title))}
        if field == "description_en":
            return {"description": Localized(clean_description(text), product.description.zh)}
        if field == "description_zh":
            zh = _optional(text, clean_description)
            return {"description": Localized(product.description.en, zh)}
        if field == "price":
            return {"price": parse_price(text, product.currency)}
        if field == "compare_at":
            raw = (text or "").strip()
            return {"compare_at": None if raw == "-" else parse_price(raw, product.currency)}
        if field == "specs":
            return {"specs": () if (text or "").strip() == "-" else parse_specs(text)}
        if field == "threshold":
            return {"low_stock_threshold": parse_count(text, N_("The low-stock threshold"))}
        if field == "sku":
            return {"sku": clean_sku(text)}
        if field == "brand":
            raw = (text or "").strip()
            return {"brand": "" if raw == "-" else clean_line(raw, field=N_("Brand"), max_len=64)}
        raise ValidationError(N_("That field can't be edited here."))

    async def edit(
        self, actor: int, product_id: int, version: int, changes: dict[str, object]
    ) -> EditableProduct:
        """Store field changes if nobody else edited the product since `version`."""
        if "category_id" in changes and changes["category_id"] not in await self._category_map():
            raise CategoryNotFound()
        photos = changes.get("photos")
        if isinstance(photos, tuple) and not 0 < len(photos) <= MAX_PHOTOS:
            raise ValidationError(N_("Send 1 to {max} photos."), max=MAX_PHOTOS)
        stored = await self.catalog.update_if_version(product_id, version, changes)
        if stored is None:
            raise ProductNotFound()
        if not stored:
            raise EditConflict()
        await self.audit.record(
            actor, "product.edit", f"product:{product_id}", {"fields": sorted(changes)}
        )
        return await self.editable(product_id)

    async def set_active(self, actor: int, product_id: int, active: bool) -> Product:
        if not await self.catalog.set_active(product_id, active):
            raise ProductNotFound()
        action = "product.activate" if active else "product.deactivate"
        await self.audit.record(actor, action, f"product:{product_id}")
        return (await self.editable(product_id)).product

    async def delete(self, actor: int, product_id: int) -> DeleteOutcome:
        """Delete goods no order refers to; otherwise only deactivate them (history stays)."""
        await self.editable(product_id)
        if await self.references.is_referenced(product_id):
            await self.set_active(actor, product_id, False)
            return "deactivated"
        if not await self.catalog.delete_product(product_id):
            raise ProductNotFound()
        await self.audit.record(actor, "product.delete", f"product:{product_id}")
        return "deleted"

    def form_changes(
        self, product: Product, values: dict[str, str]
    ) -> tuple[dict[str, object], dict[str, ValidationError]]:
        """A whole form at once (the web console): the catalogue changes of the fields whose
        text differs from the product's (`field_texts`), and each refused field's error, so
        every problem is shown together and nothing typed is lost."""
        current = field_texts(product)
        changes: dict[str, object] = {}
        problems: dict[str, ValidationError] = {}
        for name, text in values.items():
            if name not in current or _same(text, current[name]):
                continue
            typed = "-" if name in OPTIONAL_FIELDS and not text.strip() else text
            try:
                parsed = self.parse_field(product, name, typed)
            except ValidationError as exc:
                problems[name] = exc
                continue
            for key, value in parsed.items():  # title_en and title_zh both set "title"
                if key in changes and isinstance(value, Localized):
                    earlier = changes[key]
                    assert isinstance(earlier, Localized)
                    value = Localized(
                        value.en if name.endswith("_en") else earlier.en,
                        value.zh if name.endswith("_zh") else earlier.zh,
                    )
                changes[key] = value
        return changes, problems

    # ---- categories ----

    async def set_category_active(self, actor: int, category_id: int, active: bool) -> None:
        """Show or hide a category (its goods stay as they are; shoppers stop seeing an
        inactive category in the catalogue)."""
        if not await self.catalog.update_category(category_id, {"active": active}):
            raise CategoryNotFound()
        action = "category.activate" if active else "category.deactivate"
        await self.audit.record(actor, action, f"category:{category_id}")

    async def _category_map(self) -> dict[int, Category]:
        return {c.id: c for c in await self.catalog.all_categories()}

    async def categories(self) -> list[Category]:
        """Every category (inactive too), by position."""
        return await self.catalog.all_categories()

    async def create_category(
        self, actor: int, name_en: str, name_zh: str, parent_id: int | None
    ) -> Category:
        categories = await self._category_map()
        if parent_id is not None and parent_id not in categories:
            raise CategoryNotFound()
        siblings = [c.position for c in categories.values() if c.parent_id == parent_id]
        name = _category_name(name_en, name_zh)
        draft = CategoryDraft(name, parent_id, max(siblings, default=-1) + 1)
        category = await self.catalog.create_category(draft)
        await self.audit.record(
            actor, "category.create", f"category:{category.id}", {"name": name.en}
        )
        return category

    async def rename_category(
        self, actor: int, category_id: int, name_en: str, name_zh: str
    ) -> Category:
        name = _category_name(name_en, name_zh)
        if not await self.catalog.update_category(category_id, {"name": name}):
            raise CategoryNotFound()
        await self.audit.record(
            actor, "category.rename", f"category:{category_id}", {"name": name.en}
        )
        return (await self._category_map())[category_id]

    async def move_category(self, actor: int, category_id: int, parent_id: int | None) -> None:
        """Re-parent (None: make it a root); refuses to put a category inside itself."""
        categories = await self._category_map()
        if category_id not in categories or (
            parent_id is not None and parent_id not in categories
        ):
            raise CategoryNotFound()
        if parent_id is not None and category_id in ancestry(categories, parent_id):
            raise ValidationError(N_("A category can't be moved inside itself."))
        siblings = [c.position for c in categories.values() if c.parent_id == parent_id]
        changes: dict[str, object] = {
            "parent_id": parent_id,
            "position": max(siblings, default=-1) + 1,
        }
        await self.catalog.update_category(category_id, changes)
        await self.audit.record(
            actor, "category.move", f"category:{category_id}", {"parent_id": parent_id}
        )

    async def reorder_category(self, actor: int, category_id: int, step: int) -> None:
        """Swap with the sibling above (step -1) or below (+1); positions renumbered 0..n."""
        categories = await self._category_map()
        if category_id not in categories:
            raise CategoryNotFound()
        parent = categories[category_id].parent_id
        siblings = sorted(
            (c for c in categories.values() if c.parent_id == parent),
            key=lambda c: (c.position, c.id),
        )
        ids = [c.id for c in siblings]
        index = ids.index(category_id)
        other = index + (1 if step > 0 else -1)
        if not 0 <= other < len(ids):
            return
        ids[index], ids[other] = ids[other], ids[index]
        await self.catalog.set_positions({cid: pos for pos, cid in enumerate(ids)})
        await self.audit.record(
            actor, "category.reorder", f"category:{category_id}", {"position": other}
        )


def field_texts(product: Product) -> dict[str, str]:
    """Each editable field as a person types it (what a form shows and compares against)."""
    currency = product.currency
    return {
        "title_en": product.title.en,
        "title_zh": product.title.zh,
        "description_en": product.description.en,
        "description_zh": product.description.zh,
        "price": format_price_plain(product.price, currency),
        "compare_at": (
            format_price_plain(product.compare_at, currency)
            if product.compare_at is not None
            else ""
        ),
        "specs": specs_text(product.specs),
        "threshold": str(product.low_stock_threshold),
        "sku": product.sku,
        "brand": product.brand,
    }


def _same(typed: str, current: str) -> bool:
    return typed.replace("\r\n", "\n").strip() == current.strip()


def parse_variant_lines(text: str, currency: str) -> tuple[VariantDraft, ...]:
    """Options of a new product, one per line: 'SKU | Size: M; Colour: Black | 12.50 | 5'
    (SKU, options, price, opening stock; the stock may be left out)."""
    variants: list[VariantDraft] = []
    for number, line in enumerate((text or "").splitlines(), start=1):
        if not line.strip():
            continue
        cells = [c.strip() for c in line.split("|")]
        if len(cells) not in (3, 4):
            raise ValidationError(
                N_("Option line {line}: write 'SKU | Size: M; Colour: Black | price | stock'."),
                line=number,
            )
        try:
            sku = clean_sku(cells[0])
            options = parse_specs(cells[1])
            price = parse_price(cells[2], currency)
            stock = parse_count(cells[3]) if len(cells) == 4 and cells[3] else 0
        except ValidationError as exc:
            raise ValidationError(
                N_("Option line {line}: {problem}"),
                line=number,
                problem=exc.message,
                **exc.params,
            ) from None
        if not options:
            raise ValidationError(
                N_("Option line {line}: name the option, e.g. 'Size: M'."), line=number
            )
        variants.append(VariantDraft(sku, options, price, stock, position=len(variants)))
    if len(variants) > MAX_VARIANTS:
        raise ValidationError(N_("At most {max} options, please."), max=MAX_VARIANTS)
    if len({v.sku for v in variants}) != len(variants):
        raise ValidationError(N_("Each option needs its own SKU."))
    return tuple(variants)


def ancestry(categories: dict[int, Category], category_id: int) -> list[int]:
    """The category and its ancestors (bounded, so bad data can't loop forever)."""
    chain: list[int] = []
    current: int | None = category_id
    while current is not None and current in categories and len(chain) < 64:
        chain.append(current)
        current = categories[current].parent_id
    return chain


def category_label(categories: dict[int, Category], category_id: int, locale: str) -> str:
    """'Electronics / Phones' — how a category is named in admin screens and the CSV."""
    names = [categories[c].name.get(locale) for c in reversed(ancestry(categories, category_id))]
    return " / ".join(names)


def _category_name(name_en: str, name_zh: str) -> Localized:
    en = clean_line(name_en, field=N_("The category name"), max_len=64)
    zh = clean_line(name_zh, field=N_("The category name"), max_len=64) if name_zh.strip() else ""
    if "/" in en or "/" in zh:
        raise ValidationError(N_("A category name can't contain '/'."))
    return Localized(en, zh)


def _optional(text: str, clean: object) -> str:
    """'-' clears an optional translation; anything else is cleaned like the English text."""
    raw = (text or "").strip()
    if raw == "-":
        return ""
    assert callable(clean)
    return str(clean(raw))
