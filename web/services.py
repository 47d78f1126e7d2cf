"""What the storefront's routes need from the composition root, declared here (a Protocol) so
that web/ imports nothing of bot/: bot/wiring.py's `Services` provides all of it."""

from __future__ import annotations

from typing import Protocol

from domain.cart.service import CartService
from domain.catalog.search import SearchService
from domain.catalog.service import CatalogService
from domain.kernel.shop import ShopProfile
from domain.orders.payments import PaymentService
from domain.orders.service import OrderService
from domain.recommend import EventLog
from domain.recommend.shelves import ShelfService
from domain.reviews.service import ReviewService
from domain.support.service import SupportService
from domain.users.service import UserService


class StorefrontServices(Protocol):
    """The domain services a web route may use: the same objects the chat handlers get."""

    @property
    def shop(self) -> ShopProfile: ...
    @property
    def users(self) -> UserService: ...
    @property
    def catalog(self) -> CatalogService: ...
    @property
    def search(self) -> SearchService: ...
    @property
    def carts(self) -> CartService: ...
    @property
    def orders(self) -> OrderService: ...
    @property
    def payments(self) -> PaymentService: ...
    @property
    def reviews(self) -> ReviewService: ...
    @property
    def recs_events(self) -> EventLog: ...
    @property
    def shelves(self) -> ShelfService: ...
    @property
    def support(self) -> SupportService: ...
