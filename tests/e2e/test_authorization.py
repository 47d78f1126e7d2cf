"""Every admin command and every admin button, tried by people who must not use them.

The table is checked against the code: the admin commands and callback factories are collected
by walking the real routers (a handler behind the staff gate, `IsStaff` on the handler, or an
owner-only router), and the actions each handler accepts are read from its filter
(`F.act == "open"`,
`F.act.in_({...})`). A new admin command or callback factory that this table doesn't know fails
`test_the_table_covers_every_admin_command_and_button`; a new action of a known factory is tried
automatically. Forged presses aim at real seeded things (an order, a product, a coupon, a
manager...) so a missing role check would change something the snapshot sees.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from aiogram.filters import Command
from aiogram.filters.callback_data import CallbackData, CallbackQueryFilter
from aiogram.fsm.storage.base import StorageKey
from magic_filter.operations import (
    ComparatorOperation,
    FunctionOperation,
    GetAttributeOperation,
)

from demo.harness import Sandboxed
from domain.campaigns.audiences import AUDIENCES, audience_spec
from domain.campaigns.service import CampaignDraft
from domain.catalog.service import Localized, ProductDraft
from domain.orders.coupons import CouponDraft
from domain.orders.pricing import CouponKind
from domain.reviews.service import ReviewDraft
from domain.staff.service import StaffTarget
from domain.subscriptions.rules import Decision
from domain.subscriptions.service import ChargeDraft
from domain.support.types import About, Shopper
from domain.users.service import User
from handlers import get_routers, staff_routers
from handlers.admin.callbacks import AdminCb
from handlers.admin.menu import SECTIONS
from handlers.admin.security import ROUTER_ROLES, IsStaff
from storage.reviews.repository import TortoiseReviewRepository
from tests.e2e.back_office_seed import offline_order, paid_order
from tests.e2e.conftest import running_kiosk
from tests.e2e.db_snapshot import snapshot_database
from tests.e2e.test_admin import OWNER, OWNERS_ONLY, STALE, UNKNOWN, last, relax_throttle
from tests.e2e.test_back_office import REVENUE_HIDDEN

MANAGER = 9200
SHOPPER = 1001  # owns the seeded order and review
ATTACKER = 6660  # a shopper with no role at all


@dataclass(frozen=True)
class Seeded:
    product_id: int
    category_id: int
    order_id: int
    coupon_id: int
    review_id: int
    campaign_id: int
    offline_order_id: int  # cash on delivery, waiting for staff to mark it paid
    subscription_id: int  # the shopper's live Stars subscription
    conversation_id: int  # the shopper's support conversation
    preview_key: str  # a CSV import previewed under every tester's id (the preview is per person)


# ---------------------------------------------------------------- the table
# Admin commands -> the text sent (with real arguments, so a missing check would act).
ADMIN_COMMANDS: dict[str, Callable[[Seeded], str]] = {
    "admin": lambda s: "/admin",
    "stock": lambda s: "/stock",
    "staff": lambda s: "/staff",
    "audit": lambda s: "/audit",
    "report": lambda s: "/report",
    "campaign": lambda s: "/campaign",
    "process": lambda s: f"/process {s.order_id}",
    "ship": lambda s: f"/ship {s.order_id} TRACK-FORGED",
    "deliver": lambda s: f"/deliver {s.order_id}",
    "refunded": lambda s: f"/refunded {s.order_id} 100",
    "returned": lambda s: f"/returned {s.order_id}",
    "rebuild_recs": lambda s: "/rebuild_recs",
    "paid": lambda s: f"/paid {s.offline_order_id}",
    "console": lambda s: "/console",
    "subscribers": lambda s: "/subscribers",
    "subplan": lambda s: f"/subplan {s.product_id} 250 tier gold",
    "subrefund": lambda s: f"/subrefund {s.subscription_id}",
    "support": lambda s: "/support",
    "maintenance": lambda s: "/maintenance",
}

# Admin callback factories (by prefix) -> the other fields of a forged press, pointing at real
# things. The field a handler filters on (act/to/action/p/kind) is read from its filter.
ADMIN_CALLBACKS: dict[str, Callable[[Seeded], dict[str, Any]]] = {
    "adm": lambda s: {},  # AdminCb: the /admin menu's sections
    "adg": lambda s: {"id": s.product_id, "field": "price", "v": 0},  # goods
    "adn": lambda s: {"id": s.category_id},  # the new-product dialog
    "adc": lambda s: {"id": s.category_id, "arg": 0},  # categories
    "ads": lambda s: {"pid": s.product_id, "reason": "damaged"},  # stock
    "adst": lambda s: {"tg": MANAGER},  # staff and the audit log
    "adcp": lambda s: {"id": s.coupon_id, "v": "percent"},  # coupons
    "ado": lambda s: {"id": s.order_id, "s": "refund"},  # the orders board
    "adrp": lambda s: {},  # reports
    "adr": lambda s: {"id": s.review_id},  # review moderation
    "adly": lambda s: {},  # loyalty: referral report and points adjustments
    "cp": lambda s: {"id": s.campaign_id},  # campaigns
    "ca": lambda s: {},  # a campaign's audience
    "su": lambda s: {},  # the owner's setup checklist (handlers/onboarding)
    "opd": lambda s: {"id": s.offline_order_id},  # "Mark paid" (handlers/orders/admin)
    "adu": lambda s: {"id": s.product_id},  # digital units (handlers/admin/digital)
    "adimp": lambda s: {"key": s.preview_key},  # import creating missing categories
    "sup": lambda s: {"id": s.conversation_id},  # support: answer, block, list
    "mnt": lambda s: {},  # maintenance mode (handlers/support/maintenance)
}

# What only owners may use. The code's filters must agree (checked below), and managers are
# refused these even if a filter is loosened by mistake.
OWNER_ONLY_COMMANDS = {"staff", "audit", "rebuild_recs", "subplan", "subrefund", "maintenance"}
OWNER_ONLY_BUTTONS = {"adst", "adly", "su", "mnt"}

# Checked inside the service (ReportService.ensure_allowed), not by a filter: what an owner's
# "managers don't see revenue" switch must close to managers.
REVENUE_COMMANDS = {"report"}
REVENUE_BUTTONS = {"adrp"}

# Factories shared with shoppers' handlers (no role filter): the actions shoppers may press.
# Checked against the code below; every other action of the factory is tried as admin's.
SHOPPERS_ACTIONS: dict[str, set[str]] = {
    "sup": {"o", "x"},  # the shopper opens and closes their own support conversation
}

# Handlers that take every value of a factory (`ReportCb.filter()`): the values to try.
UNFILTERED_VALUES: dict[str, tuple[str, Callable[[], list[str]]]] = {
    "adrp": ("p", lambda: ["today", "7d", "30d", "custom"]),
    "ca": ("kind", lambda: sorted(AUDIENCES)),  # features register more at start-up
}


# ---------------------------------------------------------------- reading the code
@dataclass(frozen=True)
class Gate:
    min_role: str
    permission: str | None = None


def _gate(filters: list[Any]) -> Gate | None:
    for f in filters:
        if isinstance(f.callback, IsStaff):
            return Gate(f.callback.min_role, f.callback.permission)
    return None


def _strictest(a: Gate | None, b: Gate | None) -> Gate | None:
    if a is None or b is None:
        return a or b
    return a if (a.min_role, a.permission or "") >= (b.min_role, b.permission or "") else b


def _routers() -> Iterator[tuple[Any, Gate | None]]:
    """Every router with the role its place demands: behind the staff gate at least a manager,
    an owner-only router (ROUTER_ROLES) an owner; shoppers' routers none."""
    gated = {id(r) for r in staff_routers()}
    for router in get_routers():
        gate = Gate("manager") if id(router) in gated else None
        if router.name in ROUTER_ROLES:
            gate = _strictest(gate, Gate(ROUTER_ROLES[router.name]))
        yield router, gate


NO_ACTION = ""  # the field of a handler whose filter names no action: one press, as seeded


def _rule_values(rule: Any) -> tuple[str | None, set[str]]:
    """(field, accepted values) of a callback filter like `F.act.in_({"on", "off"})`.

    A comparison with something other than a string (`F.id > 0`) bounds a number, not an
    action: such a filter names no action (NO_ACTION), and the forged press carries the
    table's real ids, which satisfy the bound, so the handler is reached."""
    if rule is None:
        return None, set()
    field: str | None = None
    values: set[str] = set()
    bounded = False
    for op in rule._operations:
        if isinstance(op, GetAttributeOperation):
            field = field or op.name
        elif isinstance(op, ComparatorOperation) and isinstance(op.right, str):
            values.add(op.right)
        elif isinstance(op, ComparatorOperation) and isinstance(op.right, int):
            bounded = True
        elif isinstance(op, FunctionOperation):
            for arg in op.args:
                values |= {v for v in arg if isinstance(v, str)}
        else:
            raise AssertionError(f"teach _rule_values about {op!r} (in {rule!r})")
    if bounded:
        assert not values, f"teach _rule_values about a bound and an action together: {rule!r}"
        return NO_ACTION, set()
    return field, values


@dataclass
class AdminButtons:
    factory: type[CallbackData]
    gate: Gate
    values: dict[str, set[str]]  # field -> values the handlers accept


def admin_callbacks(also: frozenset[str] = frozenset()) -> dict[str, AdminButtons]:
    """Callback factories of handlers behind a role filter (plus those of `also`, gated or not:
    the table says they are admin's, so a handler that lost its filter is still tried)."""
    found: dict[str, AdminButtons] = {}
    for router, router_gate in _routers():
        for handler in router.callback_query.handlers:
            handler_gate = _strictest(router_gate, _gate(handler.filters or []))
            for f in handler.filters or []:
                if not isinstance(f.callback, CallbackQueryFilter):
                    continue
                factory = f.callback.callback_data
                prefix = factory.__prefix__
                if handler_gate is None and prefix not in also:
                    continue
                gate = handler_gate or Gate("manager")
                field, values = _rule_values(f.callback.rule)
                if handler_gate is None:
                    values -= SHOPPERS_ACTIONS.get(prefix, set())
                    if field is not None and not values:
                        continue
                if field is None:
                    field, listed = UNFILTERED_VALUES.get(prefix, (None, list))
                    values = set(listed())
                    assert field, f"{factory.__name__}.filter() takes anything: list its values"
                entry = found.setdefault(prefix, AdminButtons(factory, gate, {}))
                entry.gate = _strictest(entry.gate, gate)
                entry.values.setdefault(field, set()).update(values)
    if AdminCb.__prefix__ in found:  # one factory for every section: SECTIONS says who may
        found[AdminCb.__prefix__].gate = Gate("manager")  # open which (admin_section_gates)
    for prefix, entry in found.items():
        if prefix in REVENUE_BUTTONS:
            entry.gate = Gate(entry.gate.min_role, "revenue")
    return found


def shoppers_actions(prefix: str) -> set[str]:
    """The actions of a factory that handlers without a role filter accept."""
    found: set[str] = set()
    for router, router_gate in _routers():
        for handler in router.callback_query.handlers:
            if _strictest(router_gate, _gate(handler.filters or [])) is not None:
                continue
            for f in handler.filters or []:
                if isinstance(f.callback, CallbackQueryFilter):
                    if f.callback.callback_data.__prefix__ == prefix:
                        found |= _rule_values(f.callback.rule)[1]
    return found


def admin_commands() -> dict[str, Gate]:
    found: dict[str, Gate] = {}
    for router, router_gate in _routers():
        for handler in router.message.handlers:
            gate = _strictest(router_gate, _gate(handler.filters or []))
            if gate is None:
                continue
            for f in handler.filters or []:
                if isinstance(f.callback, Command):
                    for cmd in f.callback.commands:
                        name = str(cmd)
                        found[name] = _strictest(found.get(name), gate) or gate
    return {
        name: Gate(gate.min_role, "revenue") if name in REVENUE_COMMANDS else gate
        for name, gate in found.items()
    }


def admin_section_gates() -> dict[str, Gate]:
    """AdminCb(to=...) is shared by many routers: the menu's registry says who may open what."""
    return {s.key: Gate(s.min_role, s.permission) for s in SECTIONS}


def effective(gate: Gate, owners_only: bool) -> Gate:
    return Gate("owner", gate.permission) if owners_only else gate


def forged_presses(seeded: Seeded) -> Iterator[tuple[str, Gate]]:
    sections = admin_section_gates()
    found = admin_callbacks(also=frozenset(ADMIN_CALLBACKS))
    for prefix, buttons in sorted(found.items()):
        base = ADMIN_CALLBACKS[prefix](seeded)
        factory = buttons.factory
        for field, values in sorted(buttons.values.items()):
            if field == NO_ACTION:
                yield factory(**base).pack(), effective(buttons.gate, prefix in OWNER_ONLY_BUTTONS)
                continue
            for value in [*sorted(values), "no-such-action"]:
                gate = effective(buttons.gate, prefix in OWNER_ONLY_BUTTONS)
                if factory is AdminCb:
                    gate = sections.get(value, Gate("manager"))
                yield factory(**{**base, field: value}).pack(), gate


# ---------------------------------------------------------------- the tests
@pytest_asyncio.fixture
async def shop(
    mode: str, request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[Sandboxed]:
    """The `kiosk` fixture with the scheduler off: its jobs write job-run rows on their own,
    which would blur "this update changed nothing stored"."""
    async with running_kiosk(mode, request, tmp_path, scheduler={"enabled": False}) as running:
        running.sandbox.settle = 0.02  # refusals are single quick answers: don't idle after them
        yield running


def test_the_table_covers_every_admin_command_and_button() -> None:
    commands, buttons = admin_commands(), admin_callbacks()
    assert set(commands) <= set(ADMIN_COMMANDS), "add new admin commands to the table"
    assert set(buttons) <= set(ADMIN_CALLBACKS), "add new admin buttons to the table"
    owners_commands = {c for c, gate in commands.items() if gate.min_role == "owner"}
    assert owners_commands == OWNER_ONLY_COMMANDS & set(commands), "owners' commands differ"
    owners_buttons = {p for p, b in buttons.items() if b.gate.min_role == "owner"}
    assert owners_buttons == OWNER_ONLY_BUTTONS & set(buttons), "owners' buttons differ"
    for prefix, actions in SHOPPERS_ACTIONS.items():
        assert shoppers_actions(prefix) == actions, f"shoppers' actions of {prefix} differ"
    values = buttons[AdminCb.__prefix__].values["to"]
    assert {s.key for s in SECTIONS} <= values, "a section of the admin menu nobody handles"


async def seed(k: Sandboxed) -> Seeded:
    relax_throttle(k)
    shopper = k.sandbox.user(SHOPPER, "Alice")
    await shopper.send("/start")
    buyer = await k.app.services.users.repo.get_by_telegram_id(SHOPPER)
    assert buyer is not None
    merchant = k.app.services.merchant
    category_id = (await merchant.create_category(OWNER, "Home", "家居", None)).id
    draft = ProductDraft("MUG-1", category_id, Localized("Mug", "杯子"), 1200, on_hand=10)
    product_id = (await merchant.create_product(OWNER, draft)).id
    order = await paid_order(k, buyer, product_id)
    coupon_admin = k.app.dp.workflow_data["coupon_admin"]
    coupon = await coupon_admin.create(
        OWNER, CouponDraft("SPRING10", CouponKind.PERCENT, 10, "USD")
    )
    review = await TortoiseReviewRepository().save(buyer.id, product_id, ReviewDraft(5, "Nice"))
    campaign = await k.app.services.campaigns.create(
        OWNER, CampaignDraft("Spring sale", audience_spec("everyone"))
    )
    await k.app.services.staff.add_manager(OWNER, StaffTarget(telegram_id=MANAGER))
    review_id = review if isinstance(review, int) else review.id
    offline = await offline_order(k, buyer, product_id)
    subscription_id = await live_subscription(k, buyer, product_id)
    about = About()
    conversation = await k.app.services.support.open(
        Shopper(SHOPPER, "Alice", None, "en"), about, datetime.now(UTC)
    )
    csv = b"sku,title_en,category,price\nNEW-1,New thing,Brand new / Shelf,5\n"
    for actor in (ATTACKER, SHOPPER, MANAGER):
        await k.app.services.transfer.previews.put(f"{actor}:forged", csv, 600)
    return Seeded(
        product_id,
        category_id,
        order.id,
        coupon.id,
        review_id,
        campaign.id,
        offline.id,
        subscription_id,
        conversation.id,
        "forged",
    )


async def live_subscription(k: Sandboxed, buyer: User, product_id: int) -> int:
    """A plan on the product and the shopper's paid subscription to it: /subrefund's target."""
    subscriptions = k.app.services.subscriptions
    plan = await subscriptions.save_plan(
        OWNER, product_id, Localized("Mug club", "杯子俱乐部"), 300, "tier", "gold"
    )
    now = datetime.now(UTC)
    charge = ChargeDraft(
        plan.id,
        buyer.id,
        SHOPPER,
        "sub-charge-1",
        300,
        Decision.START,
        now + timedelta(days=30),
        now,
        None,
    )
    sub = await subscriptions.repo.record_charge(charge)
    assert sub is not None
    return sub.id


async def stored(k: Sandboxed) -> dict[str, list[tuple[Any, ...]]]:
    """Everything stored, with the recommendation events still buffered in memory flushed."""
    await k.app.services.recs_runtime.recorder.flush()
    return await snapshot_database()


async def fsm_state(k: Sandboxed, telegram_id: int) -> str | None:
    key = StorageKey(bot_id=k.app.bot.id, chat_id=telegram_id, user_id=telegram_id)
    return await k.app.dp.storage.get_state(key)


async def assert_refused_everything(
    k: Sandboxed, seeded: Seeded, who: int, name: str, refused: Callable[[Gate], bool]
) -> int:
    """Sends every admin command and presses every admin button as `who`; returns how many
    were tried. Each must get a refusal, leave no FSM state and change nothing stored."""
    person = k.sandbox.user(who, name)
    await person.send("/start")
    tried = 0
    commands = admin_commands()
    for command, text_of in sorted(ADMIN_COMMANDS.items()):
        gate = effective(commands.get(command, Gate("manager")), command in OWNER_ONLY_COMMANDS)
        if not refused(gate):
            continue
        before = await stored(k)
        await person.send(text_of(seeded))
        answer = last(person)
        # /admin by someone off the staff says how owners are configured (handlers/admin/denied)
        told_how = command == "admin" and "ADMIN_IDS" in answer
        assert told_how or answer in (UNKNOWN, OWNERS_ONLY, REVENUE_HIDDEN), (command, answer)
        assert await fsm_state(k, who) is None, command
        assert await stored(k) == before, f"/{command} by {name} changed data"
        tried += 1
    for data, gate in forged_presses(seeded):
        if not refused(gate):
            continue
        before = await stored(k)
        seen = len(person.bot_messages)
        changed = await person.press_data(data)
        answer = (person.last_callback_answer or {}).get("text")
        assert answer in (STALE, OWNERS_ONLY, REVENUE_HIDDEN), (data, answer)
        assert changed == [] and len(person.bot_messages) == seen, (data, changed)
        assert await fsm_state(k, who) is None, data
        assert await stored(k) == before, f"{data} by {name} changed data"
        tried += 1
    return tried


async def test_a_shopper_is_refused_every_admin_command_and_button(shop: Sandboxed) -> None:
    seeded = await seed(shop)
    tried = await assert_refused_everything(shop, seeded, ATTACKER, "Mallory", lambda g: True)
    assert tried >= len(admin_commands()) + len(admin_callbacks())
    # The seeded victim (a shopper too) is refused the same way, on their own order.
    await assert_refused_everything(shop, seeded, SHOPPER, "Alice", lambda g: True)


async def test_a_manager_is_refused_what_only_owners_may_do(shop: Sandboxed) -> None:
    seeded = await seed(shop)
    tried = await assert_refused_everything(
        shop, seeded, MANAGER, "Bob", lambda g: g.min_role == "owner"
    )
    assert tried >= 5  # /staff, /audit, /rebuild_recs, the staff screens and the audit log
    # Owners may hide revenue from managers: then reports are refused to them too.
    await shop.app.services.staff.set_managers_see_revenue(OWNER, False)
    tried = await assert_refused_everything(
        shop, seeded, MANAGER, "Bob", lambda g: g.min_role == "owner" or g.permission is not None
    )
    assert tried > 5
