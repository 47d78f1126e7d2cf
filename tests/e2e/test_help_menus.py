"""Command menus by role and a /help that lists every command a person can use.

The commands are read from the routers themselves (aiogram's public `handlers` and their
`Command` filters), so a new command missing from handlers/commands.py fails here."""

# ruff: noqa: F811  (pytest fixtures imported from shop_fixtures are named as arguments)

from __future__ import annotations

import json

from aiogram.filters import Command

from demo.harness import Sandboxed
from domain.staff.service import StaffTarget
from handlers import get_routers
from handlers.commands import all_command_names
from tests.e2e.shop_fixtures import shop, shop_mode  # noqa: F401

OWNER, MANAGER, SHOPPER = 9000, 9201, 9301


def registered_commands() -> set[str]:
    """Every /command some router handles."""
    found: set[str] = set()
    for router in get_routers():
        for handler in router.message.handlers:
            for f in handler.filters or []:
                if isinstance(f.callback, Command):
                    found |= {str(c) for c in f.callback.commands}
    return found


def test_every_registered_command_is_in_the_list_help_is_made_from() -> None:
    missing = registered_commands() - all_command_names()
    assert not missing, f"add these to handlers/commands.py (and so to /help): {missing}"
    assert "start" in registered_commands() and "ship" in registered_commands()


def menu(k: Sandboxed, chat_id: int | None, language: str = "") -> set[str]:
    scope = (
        {"type": "all_private_chats"} if chat_id is None else {"type": "chat", "chat_id": chat_id}
    )
    key = (json.dumps(scope, sort_keys=True), language)
    return {c["command"] for c in k.sandbox.bot().commands.get(key, [])}


async def test_help_and_menus_follow_the_role(shop: Sandboxed) -> None:
    shopper = shop.sandbox.user(SHOPPER, "Sam", language_code="zh")
    owner = shop.sandbox.user(OWNER, "Olga")
    await shopper.send("/start")
    await owner.send("/start")

    # /help: a shopper sees every shoppers' command, grouped, in their language; no staff ones
    await shopper.send("/help")
    text = shopper.last_bot_message.content
    shoppers = {"cart", "orders", "points", "alerts", "foryou", "settings", "search", "cancel"}
    assert all(f"/{c}" in text for c in shoppers), text
    assert "购物" in text and "/admin" not in text and "/ship" not in text, text
    # an owner sees every command there is, with the arguments the staff ones take
    await owner.send("/help")
    text = owner.last_bot_message.content
    listed = {c for c in registered_commands() if f"/{c}" in text}
    assert listed == registered_commands() - {"favourites"}, registered_commands() - listed
    assert "/ship order-number [tracking-number]" in text, text

    # menus: shoppers' default; owners' own at start-up, in both languages
    assert "admin" not in menu(shop, None) and "cart" in menu(shop, None, "zh")
    assert {"admin", "ship", "staff", "cart"} <= menu(shop, OWNER) and "staff" in menu(
        shop, OWNER, "zh"
    )
    # a manager gets theirs when appointed (no owners' commands) and loses it when removed
    staff = shop.app.services.staff
    await staff.add_manager(OWNER, StaffTarget(telegram_id=MANAGER))
    assert {"admin", "ship", "report"} <= menu(shop, MANAGER, "en")
    assert "staff" not in menu(shop, MANAGER, "en")
    await staff.remove_manager(OWNER, MANAGER)
    assert menu(shop, MANAGER) == set() and menu(shop, MANAGER, "zh") == set()

    # /admin by someone off the staff: how owners are configured, never who they are
    await shopper.send("/admin")
    text = shopper.last_bot_message.content
    assert "ADMIN_IDS" in text and str(SHOPPER) in text and str(OWNER) not in text, text
