"""How an order's statuses read to people, as msgids (translated where they are shown): one
table for every door, so the chat, the storefront's API and the console name a status alike."""

from __future__ import annotations

from domain.kernel.i18n import N_
from domain.orders.states import OrderStatus

STATUS_NAMES = {
    OrderStatus.PENDING_PAYMENT: N_("⏳ Waiting for payment"),
    OrderStatus.PAID: N_("💰 Paid"),
    OrderStatus.PROCESSING: N_("🛠 Being prepared"),
    OrderStatus.SHIPPED: N_("🚚 Shipped"),
    OrderStatus.DELIVERED: N_("📬 Delivered"),
    OrderStatus.COMPLETED: N_("✅ Completed"),
    OrderStatus.CANCELLED: N_("✖️ Cancelled"),
    OrderStatus.EXPIRED: N_("⌛ Expired (not paid in time)"),
    OrderStatus.REFUND_REQUESTED: N_("↩️ Refund requested"),
    OrderStatus.REFUNDED: N_("💸 Refunded"),
    OrderStatus.PARTIALLY_REFUNDED: N_("💸 Partly refunded"),
    OrderStatus.RETURNED: N_("📦 Returned"),
}

PAYMENT_NAMES = {
    "unpaid": N_("not paid"),
    "paid": N_("paid"),
    "void": N_("not charged"),
    "refund_pending": N_("refund pending"),
    "refunded": N_("refunded"),
    "partially_refunded": N_("partly refunded"),
}

FULFILMENT_NAMES = {
    "unfulfilled": N_("not shipped yet"),
    "processing": N_("being prepared"),
    "shipped": N_("on its way"),
    "delivered": N_("delivered"),
    "cancelled": N_("cancelled"),
    "returned": N_("returned"),
}
