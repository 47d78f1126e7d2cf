"""Merchant admin services built from settings (used by bot.factory)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.settings import Settings
from domain.audit import AuditService
from domain.catalog_transfer import CatalogTransfer
from domain.inventory import StockService
from domain.merchant import MerchantService, ProductReferences
from domain.staff import StaffService
from storage.admin.catalog_admin import NoOrderReferences, TortoiseMerchantCatalog
from storage.admin.staff import TortoiseAuditRepository, TortoiseStaffRepository
from storage.admin.stock import TortoiseStockLedger


@dataclass
class AdminServices:
    staff: StaffService
    audit: AuditService
    merchant: MerchantService
    stock: StockService
    transfer: CatalogTransfer

    def workflow_data(self) -> dict[str, Any]:
        """What admin handlers receive by name (see handlers/admin)."""
        return {
            "staff": self.staff,
            "audit": self.audit,
            "merchant": self.merchant,
            "stock": self.stock,
            "transfer": self.transfer,
        }


def build_admin_services(
    settings: Settings | None, references: ProductReferences | None = None
) -> AdminServices:
    """`references` tells whether orders refer to a product (None: nothing refers yet)."""
    owners = frozenset(settings.admin_ids) if settings is not None else frozenset()
    currency = settings.payments.currency if settings is not None else "USD"
    audit = AuditService(TortoiseAuditRepository())
    catalog = TortoiseMerchantCatalog()
    return AdminServices(
        staff=StaffService(TortoiseStaffRepository(), owners, audit),
        audit=audit,
        merchant=MerchantService(catalog, references or NoOrderReferences(), audit, currency),
        stock=StockService(TortoiseStockLedger(), audit),
        transfer=CatalogTransfer(catalog, audit, currency),
    )
