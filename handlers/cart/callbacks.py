"""Callback data of the cart's buttons: drawn by the cart, the product card (add), checkout
and the recommendation shelves (back to the cart); handled by the cart's router alone."""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData

from handlers.common import DbId


class CartCb(CallbackData, prefix="cart"):
    """`cart:add:<product_id>:<variant_id or 0>` comes from the product card; the other
    actions act on a line id: inc, dec, del; or on the cart: show, clear, coupon, nocoupon,
    accept (take the flagged changes)."""

    action: str
    id: DbId = 0
    variant: DbId = 0
