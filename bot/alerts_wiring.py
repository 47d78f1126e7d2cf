"""Wiring of the back-in-stock and price-drop alerts (storage -> domain -> workflow data)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from domain.alerts import BackInStockAlerts
from domain.alerts_price import PriceDropAlerts
from storage.alerts.repository import TortoisePriceWatchStore, TortoiseStockSubscriptionStore


@dataclass
class AlertServices:
    stock: BackInStockAlerts
    price: PriceDropAlerts

    def workflow_data(self) -> dict[str, Any]:
        """Handlers take `stock_alerts: BackInStockAlerts` and `price_alerts: PriceDropAlerts`."""
        return {"stock_alerts": self.stock, "price_alerts": self.price}


def build_alert_services() -> AlertServices:
    return AlertServices(
        stock=BackInStockAlerts(TortoiseStockSubscriptionStore()),
        price=PriceDropAlerts(TortoisePriceWatchStore()),
    )
