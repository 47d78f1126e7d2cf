"""Building blocks for the order tests: services on the test database, buyers, goods."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta

from domain.cart.service import CartService
from domain.catalog.service import (
    CatalogService,
    CategoryDraft,
    Localized,
    ProductDraft,
    VariantDraft,
)
from domain.orders.payments import InvoiceSigner, PaymentService
from domain.orders.pricing import ShippingOption
from domain.orders.service import (
    ChangeListener,
    CheckoutBenefits,
    CheckoutConfig,
    OrderDraft,
    OrderService,
)
from domain.users.service import Address, TelegramIdentity, User
from storage.catalog.repository import TortoiseCatalogRepository, TortoiseShopperListsRepository
from storage.orders.carts import TortoiseCartRepository, TortoiseCouponRepository
from storage.orders.repository import TortoiseOrderRepository
from storage.users import TortoiseUserRepository

CONFIG = CheckoutConfig(
    reservation=timedelta(minutes=15),
    shipping=(ShippingOption("std", Localized("Standard"), 500),),
    currency="USD",
    card=True,
    stars=True,
)


@dataclass
class Shop:
    catalog: CatalogService
    carts: CartService
    orders: OrderService
    payments: PaymentService
    repo: TortoiseOrderRepository
    coupons: TortoiseCouponRepository


def build_shop(
    config: CheckoutConfig = CONFIG,
    *,
    benefits: CheckoutBenefits | None = None,
    change_listeners: Sequence[ChangeListener] = (),
    place_hooks: Sequence[Callable[[OrderDraft, int], Awaitable[None]]] = (),
) -> Shop:
    """The order services as bot/wiring.py builds them, with the collaborators given."""
    stock = TortoiseCatalogRepository()
    coupons = TortoiseCouponRepository()
    carts = CartService(TortoiseCartRepository(), stock, coupons)
    repo = TortoiseOrderRepository(stock, place_hooks=place_hooks)
    orders = OrderService(
        repo, carts, config, benefits=benefits, change_listeners=change_listeners
    )
    return Shop(
        CatalogService(stock, TortoiseShopperListsRepository()),
        carts,
        orders,
        PaymentService(orders, InvoiceSigner(b"test-secret"), config),
        repo,
        coupons,
    )


async def buyers(count: int, first_telegram_id: int = 5000) -> list[User]:
    repo = TortoiseUserRepository()
    out = []
    for n in range(count):
        user, _ = await repo.upsert_seen(
            TelegramIdentity(first_telegram_id + n, f"Buyer {n}"), f"ref{first_telegram_id + n}"
        )
        out.append(user)
    return out


def address_of(user: User) -> Address:
    return Address(
        recipient="Buyer",
        phone="+15551234567",
        city="Oxford",
        street="1 High St",
        id=1,
        user_id=user.id,
    )


async def goods(shop: Shop, mug_stock: int = 20, tee_stock: int = 20) -> tuple[int, int, int]:
    """(mug product id, tee product id, tee M variant id)."""
    category = await shop.catalog.create_category(CategoryDraft(Localized("Home")))
    mug = await shop.catalog.create_product(
        ProductDraft(
            sku="MUG",
            category_id=category.id,
            title=Localized("Mug"),
            price=1000,
            on_hand=mug_stock,
        )
    )
    tee = await shop.catalog.create_product(
        ProductDraft(
            sku="TEE",
            category_id=category.id,
            title=Localized("Tee"),
            price=2000,
            variants=(VariantDraft("TEE-M", (("Size", "M"),), 2000, tee_stock),),
        )
    )
    variant = (await shop.catalog.detail(tee.id)).variants[0]
    return mug.id, tee.id, variant.id
