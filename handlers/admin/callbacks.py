"""Callback data of the admin screens (each <= 64 bytes; every id is re-checked by services)."""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData

from handlers.common import DbId


class AdminCb(CallbackData, prefix="adm"):
    """A section of the /admin menu ("home" is the menu itself)."""

    to: str


class GoodsCb(CallbackData, prefix="adg"):
    act: str  # open, edit, field, on, off, del, delok, find
    id: DbId = 0
    field: str = ""
    v: int = 0  # the edit version the screen was drawn from


class NewGoodsCb(CallbackData, prefix="adn"):
    act: str  # skip, back, cancel, cat, here, done, save
    id: DbId = 0


class CatCb(CallbackData, prefix="adc"):
    act: str  # list, open, new, rename, move, to, up, down
    id: DbId = 0
    arg: DbId = 0


class StockCb(CallbackData, prefix="ads"):
    act: str  # list, open, reason
    pid: DbId = 0
    vid: DbId = 0
    page: DbId = 1
    reason: str = ""


class StaffCb(CallbackData, prefix="adst"):
    act: str  # list, add, remove, rmok, revenue
    tg: int = 0
    page: DbId = 1
