"""The world the fuzz test (test_fuzz.py) runs in: a shop with a victim and an attacker who
entered their things through the bot, scripted ways into every dialog state, and the checks
made after every update."""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiogram.fsm.storage.base import StorageKey

from demo.harness import Sandboxed
from domain.orders.states import Action as OrderAction
from domain.reviews.service import ReviewDraft
from sandbox import SandboxMessage, SandboxUser
from storage.orders.models import OrderRow
from storage.reviews.repository import TortoiseReviewRepository
from tests.e2e.shop_fixtures import Goods, seed_goods

OWNER = 9000
VICTIM = 4_242_001
ATTACKER = 5_550_123_457
VICTIM_ADDRESS = ("Vivienne Quixote", "+44 7700 900777", "Quillhaven", "17 Zanzibar Crescent")
VICTIM_SECRETS = ("quixote", "quillhaven", "zanzibar", "900777")
ATTACKER_ADDRESS = ("Mal Oryx", "+1 555 010 0999", "Malloryville", "9 Mallorca Road")
ATTACKER_SECRETS = ("oryx", "malloryville", "mallorca", "100999")
APOLOGIES = ("something went wrong", "出了点问题")  # bot/errors.py on_unexpected, en and zh


class ErrorRecords(logging.Handler):
    """Collects ERROR (and worse) log records of the bot while the fuzzer runs."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@dataclass
class World:
    k: Sandboxed
    goods: Goods
    owner: SandboxUser
    victim: SandboxUser
    attacker: SandboxUser
    errors: ErrorRecords
    ids: dict[str, int]
    victim_numbers: list[str] = field(default_factory=list)
    updates: int = 0
    log: list[str] = field(default_factory=list)


# ---------------------------------------------------------------- scripted entries into states
# A step is "/command", "text:...", "press:<callback prefix>" (newest button with that prefix)
# or "data:<callback data>"; {mug}, {order}... are filled from World.ids. An entry stops at
# a step that can't be taken (the fuzzer may have deleted the product, cancelled the order...).
CHECKOUT = ("data:cart:add:{mug}:0", "/cart", "press:cart:checkout")
SHOPPER_ENTRIES: dict[str, tuple[str, ...]] = {
    "home": ("/start",),
    "catalog": ("/catalog", "press:cc:"),
    "card": ("/start p_{mug}",),
    "search": ("/search",),
    "search_results": ("text:mug",),
    "profile_name": ("/profile", "press:pf:name"),
    "profile_phone": ("/profile", "press:pf:phone"),
    "address_new": ("/profile", "press:pf:addresses", "press:ad:add"),
    "address_city": (
        "/profile",
        "press:pf:addresses",
        "press:ad:add",
        "text:Mal Oryx",
        "text:+1 555 010 0999",
    ),
    "address_edit": ("/profile", "press:pf:addresses", "press:ad:view", "press:ad:edit"),
    "cart": ("data:cart:add:{mug}:0", "/cart"),
    "coupon": ("data:cart:add:{mug}:0", "/cart", "press:cart:coupon"),
    "checkout_address": CHECKOUT,
    "checkout_shipping": (*CHECKOUT, "press:co:s"),
    "checkout_review": (*CHECKOUT, "press:co:s", "press:co:r"),
    "invoice": (*CHECKOUT, "press:co:s", "press:co:r", "press:co:p"),
    "orders": ("/orders", "press:ord:v"),
    "refund": ("/orders", "data:ord:v:{delivered}:1", "press:ord:f"),
    "review": ("/start p_{mug}", "press:rv:l", "press:rv:w"),
    "review_text": ("/start p_{mug}", "press:rv:l", "press:rv:w", "press:rv:r"),
    "language": ("/language",),
    "settings": ("/settings",),
    "favourites": ("/favorites",),
    "for_you": ("/foryou",),
}
OWNER_ENTRIES: dict[str, tuple[str, ...]] = {
    "menu": ("/admin",),
    "goods_new": ("/admin", "press:adm:goods", "press:adn:new"),
    "goods_new_category": (
        "/admin",
        "press:adm:goods",
        "press:adn:new",
        "text:Fuzz tea",
        "press:adn:skip",
        "text:Fuzzy",
    ),
    "goods_find": ("/admin", "press:adm:goods", "press:adg:find"),
    "goods_field": (
        "/admin",
        "press:adm:goods",
        "press:adg:find",
        "text:MUG-1",
        "press:adg:field",
    ),
    "category_new": ("/admin", "press:adm:categories", "press:adc:new"),
    "import": ("/admin", "press:adm:transfer", "press:adm:import"),
    "stock": ("/stock", "press:ads:open", "press:ads:reason"),
    "staff_add": ("/staff", "press:adst:add"),
    "coupon_new": ("/admin", "press:adm:coupons", "press:adcp:new"),
    "coupon_value": (
        "/admin",
        "press:adm:coupons",
        "press:adcp:new",
        "text:FUZZ10",
        "press:adcp:kind",
    ),
    "review_reply": ("/admin", "press:adm:reviews", "press:adr:open", "press:adr:reply"),
    "report_custom": ("/report", "press:adrp:custom"),
    "orders_board": ("/admin", "press:adm:orders", "press:ado:l", "press:ado:o"),
    "order_action": ("/admin", "press:adm:orders", "press:ado:l", "press:ado:o", "press:ado:a"),
    "campaign_text": ("/campaign", "press:cp:new"),
    "campaign_photo": ("/campaign", "press:cp:new", "text:<b>Sale</b>"),
    "campaign_audience": (
        "/campaign",
        "press:cp:new",
        "text:Sale",
        "press:cp:nophoto",
        "press:cp:btn_none",
    ),
    "campaign_schedule": ("/campaign", "press:cp:open", "press:cp:schedule"),
}


def newest_button(user: SandboxUser, prefix: str) -> tuple[int, str] | None:
    for message in reversed(user.bot_messages):
        for row in message.inline_buttons:
            for button in row:
                data = button.get("callback_data")
                if isinstance(data, str) and data.startswith(prefix):
                    return message.message_id, data
    return None


# ---------------------------------------------------------------- doing things
async def act(
    world: World, user: SandboxUser, what: str, coro: Any, button: bool = False
) -> list[SandboxMessage]:
    """Run one user action, then check every property on what it produced."""
    world.log.append(f"{user.first_name}: {what}")
    world.updates += 1
    user.last_callback_answer = None
    changed: list[SandboxMessage] = await coro
    if button:
        await answered(world, user)
    check(world, user, changed)
    return changed


async def answered(world: World, user: SandboxUser) -> None:
    """A button press is over when its callback query is answered (the spinner stops); the
    next press must not overtake it, as a person's next tap wouldn't."""
    deadline = asyncio.get_running_loop().time() + world.k.sandbox.reply_timeout
    while user.last_callback_answer is None:
        if asyncio.get_running_loop().time() > deadline:
            log = "\n".join(world.log[-25:])
            raise AssertionError(f"a button press was never answered\n{log}")
        await asyncio.sleep(0.005)


def check(world: World, user: SandboxUser, changed: list[SandboxMessage]) -> None:
    context = "\n".join(world.log[-25:])
    if world.errors.records:
        record = world.errors.records[0]
        trace = logging.Formatter().format(record)
        raise AssertionError(f"the bot logged an error:\n{trace}\n--- actions ---\n{context}")
    refused = [(c.method, c.description) for c in world.k.sandbox.errors]
    assert not refused, f"Telegram would refuse: {refused}\n--- actions ---\n{context}"
    seen = " ".join(json.dumps(m.raw, ensure_ascii=False) for m in changed)
    seen += json.dumps(user.last_callback_answer or {}, ensure_ascii=False)
    seen = seen.lower()
    for apology in APOLOGIES:
        assert apology not in seen, f"the error router apologised\n--- actions ---\n{context}"
    if user is world.attacker:
        leaked = [s for s in VICTIM_SECRETS if s in seen]
        assert not leaked, f"the attacker saw the victim's {leaked}\n{seen[:2000]}\n{context}"


async def enter(world: World, user: SandboxUser, steps: tuple[str, ...]) -> None:
    for step in steps:
        step = step.format(**world.ids)
        if step.startswith("/") or step.startswith("text:"):
            text = step.removeprefix("text:")
            await act(world, user, f"send {text!r}", user.send(text))
        elif step.startswith("data:"):
            data = step.removeprefix("data:")
            await act(world, user, f"press_data {data!r}", user.press_data(data), button=True)
        else:
            found = newest_button(user, step.removeprefix("press:"))
            if found is None:
                world.log.append(f"(entry stops: no {step} button)")
                return
            message_id, data = found
            await act(
                world,
                user,
                f"press {data!r}",
                user.press(callback_data=data, message_id=message_id),
                button=True,
            )


def callback_pool(world: World, source: str) -> list[str]:
    """Every callback data the bot has shown `source` (victim, attacker or owner)."""
    person = {"victim": world.victim, "attacker": world.attacker, "owner": world.owner}[source]
    pool = [
        b["callback_data"]
        for message in person.bot_messages
        for row in message.inline_buttons
        for b in row
        if isinstance(b.get("callback_data"), str)
    ]
    return pool or ["m:home"]


def visible_buttons(user: SandboxUser) -> list[tuple[int, str]]:
    return [
        (m.message_id, b["callback_data"])
        for m in user.bot_messages[-6:]
        for row in m.inline_buttons
        for b in row
        if isinstance(b.get("callback_data"), str)
    ]


def reply_buttons(user: SandboxUser) -> list[str]:
    keyboard = user.chat.reply_keyboard or {}
    return [
        b if isinstance(b, str) else str(b.get("text"))
        for row in keyboard.get("keyboard", [])
        for b in row
    ]


def invoices(user: SandboxUser) -> list[SandboxMessage]:
    return [m for m in user.bot_messages if m.invoice is not None]


# ---------------------------------------------------------------- the shop
async def add_address(world: World, user: SandboxUser, address: tuple[str, ...]) -> None:
    await enter(
        world,
        user,
        (
            "/profile",
            "press:pf:addresses",
            "press:ad:add",
            *(f"text:{part}" for part in address),
            "press:ad:skip",
            "press:ad:save",
        ),
    )


async def buy(world: World, user: SandboxUser) -> int:
    """Checks out and pays for a mug through the bot; returns the order id."""
    await enter(world, user, (*CHECKOUT, "press:co:s", "press:co:r", "press:co:p"))
    result = await user.pay_invoice()
    assert result.ok, (result.error, user.transcript())
    order = await OrderRow.filter(user__telegram_id=user.user_id).order_by("-id").first()
    assert order is not None and order.status == "paid"
    return order.id


async def build_world(k: Sandboxed, errors: ErrorRecords) -> World:
    goods = await seed_goods(k.app.services.catalog)
    sb = k.sandbox
    world = World(
        k,
        goods,
        sb.user(OWNER, "Olga"),
        sb.user(VICTIM, "Vivienne", "Quixote"),
        sb.user(ATTACKER, "Mallory"),
        errors,
        {"mug": goods.mug_id},
    )
    for person in (world.owner, world.victim, world.attacker):
        await act(world, person, "send '/start'", person.send("/start"))
    await add_address(world, world.victim, VICTIM_ADDRESS)
    await add_address(world, world.attacker, ATTACKER_ADDRESS)
    victim_order = await buy(world, world.victim)
    delivered = await buy(world, world.attacker)
    orders = k.app.services.orders
    assert orders is not None
    for step in (OrderAction.PROCESS, OrderAction.SHIP, OrderAction.DELIVER):
        await orders.merchant_action(delivered, step, OWNER, datetime.now(UTC), tracking="T1")
    attacker_user = await k.app.services.users.repo.get_by_telegram_id(ATTACKER)
    assert attacker_user is not None
    await TortoiseReviewRepository().save(attacker_user.id, goods.mug_id, ReviewDraft(4, "Ok"))
    world.ids["delivered"] = delivered
    # The victim's screens: their order, addresses and a full cart, with ids in the buttons.
    await enter(
        world,
        world.victim,
        ("data:cart:add:{mug}:0", f"data:cart:add:{goods.shirt_id}:{goods.shirt_m_id}", "/cart"),
    )
    await enter(world, world.victim, ("/orders", f"data:ord:v:{victim_order}:1"))
    await enter(world, world.victim, ("/profile", "press:pf:addresses", "press:ad:view"))
    await enter(
        world,
        world.owner,
        ("/campaign", "press:cp:new", "text:Spring sale", "press:cp:nophoto", "press:cp:btn_none"),
    )
    numbers = {str(victim_order), str(VICTIM)}
    for message in world.victim.bot_messages:
        for row in message.inline_buttons:
            for button in row:
                numbers |= {
                    p
                    for p in str(button.get("callback_data", "")).split(":")
                    if p.isdigit() and p != "0"
                }
    world.victim_numbers = sorted(numbers)
    assert "quixote" in world.victim.transcript().lower()  # the secrets really are on screen
    return world


async def reset(world: World, user: SandboxUser) -> None:
    """Each example starts outside any dialog; what is stored carries over (as in real life)."""
    key = StorageKey(bot_id=world.k.app.bot.id, chat_id=user.user_id, user_id=user.user_id)
    await world.k.app.dp.storage.set_state(key, None)
    await world.k.app.dp.storage.set_data(key, {})
    world.log = []
