"""Merchant back office end to end (issue 5, part 2): orders board, coupons, review moderation,
reports; managers and forged buttons. Runs on both shapes against the sandbox."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

from demo.harness import Sandboxed
from domain.orders.states import Action
from domain.reviews.service import ReviewDraft
from domain.staff.service import parse_staff_target
from storage.admin.models import AuditRow
from storage.orders.models import OrderEventRow, OrderRow, RefundRow
from storage.reviews.repository import TortoiseReviewRepository
from tests.e2e.back_office_seed import paid_order, seed_product
from tests.e2e.test_admin import OWNER, STALE, UNKNOWN, last, relax_throttle

REVENUE_HIDDEN = "The shop's owners have hidden revenue figures from managers."


async def test_owner_ships_an_order_and_the_buyer_is_told(kiosk: Sandboxed) -> None:
    relax_throttle(kiosk)
    alice = kiosk.sandbox.user(1001, "Alice")
    await alice.send("/start")
    buyer = await kiosk.app.services.users.repo.get_by_telegram_id(1001)
    assert buyer is not None
    order = await paid_order(kiosk, buyer, await seed_product(kiosk))
    owner = kiosk.sandbox.user(OWNER, "Olga")
    await owner.send("/admin")
    await owner.press("🧾 Orders")
    assert "💰 Paid (1)" in owner.last_bot_message.button_texts()
    await owner.press("💰 Paid (1)")
    await owner.press(
        next(b for b in owner.last_bot_message.button_texts() if b.startswith(f"#{order.id} "))
    )
    text = last(owner)
    assert "Alice" in text and "1 High St" in text and "Mug × 2" in text and "charge" in text
    await owner.press("🛠 Start preparing")
    assert "Being prepared" in last(owner)
    await owner.press("🚚 Ship")
    await owner.send("D")
    assert "at least 2" in last(owner)
    await owner.send("DHL")
    await owner.send("JD0123456789")
    assert "shipped" in last(owner)
    row = await OrderRow.get(id=order.id)
    assert (row.status, row.tracking_number) == ("shipped", "DHL JD0123456789")
    told = [m.content for m in alice.bot_messages]
    assert any("is being prepared" in t for t in told)
    assert any("has shipped" in t and "DHL JD0123456789" in t for t in told), alice.transcript()
    actions = [e.action for e in await OrderEventRow.filter(order_id=order.id).order_by("id")]
    assert actions == ["place", "pay", "process", "ship"]
    audited = await AuditRow.filter(target=f"order:{order.id}").values_list("action", flat=True)
    assert sorted(audited) == ["orders.process", "orders.ship"]
    # Cancelling needs a reason; refunds are confirmed.
    await owner.press("📬 Mark delivered")
    assert "Delivered" in last(owner)


FORGED = (
    "adm:orders",
    "ado:l:0:paid:1",
    "ado:o:1::1",
    "ado:a:1:ship:1",
    "ado:y:1:refund:1",
    "adm:coupons",
    "adcp:new:0::1",
    "adcp:off:1::1",
    "adcp:save:0::1",
    "adm:reviews",
    "adr:hide:1:1",
    "adr:reply:1:1",
    "adm:reports",
    "adrp:7d",
    "adrp:custom",
)


async def test_a_non_admin_forging_board_buttons_gets_the_stale_answer(kiosk: Sandboxed) -> None:
    relax_throttle(kiosk)
    mallory = kiosk.sandbox.user(666, "Mallory")
    await mallory.send("/start")
    for data in FORGED:
        await mallory.press_data(data)
        assert mallory.last_callback_answer.get("text") == STALE, data
    await mallory.send("/report")
    assert last(mallory) == UNKNOWN


async def test_owner_creates_a_coupon_that_works_at_checkout(kiosk: Sandboxed) -> None:
    relax_throttle(kiosk)
    product_id = await seed_product(kiosk)
    owner = kiosk.sandbox.user(OWNER, "Olga")
    await owner.send("/admin")
    await owner.press("🎟 Coupons")
    await owner.press("➕ New coupon")
    await owner.send("no")
    assert "3-32 letters" in last(owner)
    await owner.send("spring15")
    await owner.press("% Percent")
    await owner.send("150")
    assert "1 to 100" in last(owner)
    await owner.send("15")
    await owner.send("-3")
    assert "can't be negative" in last(owner)
    await owner.send("0")
    await owner.send("ten")
    assert "whole number of uses" in last(owner)
    await owner.send("10")
    await owner.press("1️⃣ Once per customer")
    await owner.send("2020-01-01 2020-01-31")
    assert "already over" in last(owner)
    await owner.send("-")
    await owner.press("🛍 All goods")
    assert "SPRING15" in last(owner) and "Once per customer" in last(owner)
    await owner.press("💾 Save")
    assert "Coupon saved" in last(owner)
    await owner.press("⬅️ Coupons")
    listed = owner.last_bot_message.button_texts()
    assert any(b.startswith("SPRING15 · −15% · 0/10") for b in listed)
    audited = await AuditRow.filter(action="coupons.create").count()
    assert audited == 1

    alice = kiosk.sandbox.user(1001, "Alice")
    await alice.send("/start")
    await alice.press_data(f"cart:add:{product_id}:0")
    await alice.send("/cart")
    await alice.press("🎟 Coupon")
    await alice.send("spring15")
    assert "Discount (SPRING15)" in last(alice), alice.transcript()

    # Disabled: the shopper's next look at the cart refuses it.
    await owner.press(
        next(b for b in owner.last_bot_message.button_texts() if b.startswith("SPRING15"))
    )
    await owner.press("⛔️ Disable")
    assert "disabled" in last(owner)
    await alice.send("/cart")
    assert "Discount (SPRING15)" not in last(alice)


async def test_owner_hides_and_answers_reviews(kiosk: Sandboxed) -> None:
    relax_throttle(kiosk)
    product_id = await seed_product(kiosk)
    alice = kiosk.sandbox.user(1001, "Alice")
    bob = kiosk.sandbox.user(1002, "Bob")
    await alice.send("/start")
    await bob.send("/start")
    users = kiosk.app.services.users.repo
    repo = TortoiseReviewRepository()
    for tg, text in ((1001, "Rude words here"), (1002, "Lovely mug")):
        buyer = await users.get_by_telegram_id(tg)
        assert buyer is not None
        await repo.save(buyer.id, product_id, ReviewDraft(4, text))
    await alice.press_data(f"rv:l:{product_id}:1:")
    assert "Rude words here" in last(alice)
    owner = kiosk.sandbox.user(OWNER, "Olga")
    await owner.send("/admin")
    await owner.press("💬 Reviews")
    await owner.press(next(b for b in owner.last_bot_message.button_texts() if "Rude" in b))
    await owner.press("🙈 Hide")
    assert "Hidden from shoppers" in last(owner)
    await owner.press("⬅️ Reviews")
    await owner.press(next(b for b in owner.last_bot_message.button_texts() if "Lovely" in b))
    await owner.press("✍️ Reply")
    await owner.send("Thank you, Bob!")
    assert "Reply saved" in last(owner)
    await alice.press_data(f"rv:l:{product_id}:1:")
    text = last(alice)
    assert "Rude words here" not in text and "Lovely mug" in text
    assert "Shop: Thank you, Bob!" in text
    assert await AuditRow.filter(action__in=["reviews.hide", "reviews.reply"]).count() == 2


async def files_arrived(user: Any) -> list[Any]:
    """The chart and CSV follow the message once rendered (off the event loop): wait for them."""
    for _ in range(200):
        if user.bot_messages and user.bot_messages[-1].document is not None:
            return list(user.bot_messages[-3:])
        await asyncio.sleep(0.1)
    raise AssertionError(user.transcript())


async def test_report_for_seven_days_sends_message_chart_and_csv(kiosk: Sandboxed) -> None:
    relax_throttle(kiosk)
    alice = kiosk.sandbox.user(1001, "Alice")
    await alice.send("/start")
    buyer = await kiosk.app.services.users.repo.get_by_telegram_id(1001)
    assert buyer is not None
    order = await paid_order(kiosk, buyer, await seed_product(kiosk), qty=3)
    owner = kiosk.sandbox.user(OWNER, "Olga")
    await owner.send("/report")
    await owner.press("7 days")
    sent = await files_arrived(owner)
    assert "Revenue: $36.00" in sent[0].content and "Paid orders: 1" in sent[0].content
    assert "Units sold: 3" in sent[0].content and "1 new, 0 returning" in sent[0].content
    assert sent[1].photo is not None
    assert sent[2].document is not None
    csv_text = kiosk.sandbox.files.by_id[sent[2].document["file_id"]].content.decode("utf-8-sig")
    assert csv_text.splitlines()[1].startswith(f"{order.id},")
    await owner.press("📅 Custom range", message_id=sent[0].message_id)
    await owner.send("yesterday")
    assert "like 2025-06-30" in last(owner)
    await owner.send("2020-01-01")
    await owner.send("2020-01-31")
    assert "Paid orders: 0" in (await files_arrived(owner))[0].content


async def test_a_manager_barred_from_revenue_gets_a_refusal(kiosk: Sandboxed) -> None:
    relax_throttle(kiosk)
    bob = kiosk.sandbox.user(9200, "Bob", username="bob_mgr")
    await bob.send("/start")
    owner = kiosk.sandbox.user(OWNER, "Olga")
    admin = kiosk.app.services
    assert admin is not None
    await admin.staff.add_manager(OWNER, parse_staff_target("@bob_mgr"))
    await bob.send("/admin")
    assert "📊 Reports" in bob.last_bot_message.button_texts()
    await bob.press("🧾 Orders")  # managers run the board
    assert "Orders" in last(bob)
    await admin.staff.set_managers_see_revenue(OWNER, False)
    await bob.send("/admin")
    assert "📊 Reports" not in bob.last_bot_message.button_texts()
    await bob.send("/report")
    assert last(bob) == REVENUE_HIDDEN
    await bob.press_data("adrp:7d")
    assert bob.last_callback_answer.get("text") == REVENUE_HIDDEN
    await owner.send("/report")
    assert "which period" in last(owner)


async def test_refunds_in_parts_never_add_up_to_more_than_was_paid(kiosk: Sandboxed) -> None:
    relax_throttle(kiosk)
    alice = kiosk.sandbox.user(1001, "Alice")
    await alice.send("/start")
    buyer = await kiosk.app.services.users.repo.get_by_telegram_id(1001)
    assert buyer is not None
    order = await paid_order(kiosk, buyer, await seed_product(kiosk))  # 2 x $12.00
    owner = kiosk.sandbox.user(OWNER, "Olga")
    await owner.send(f"/ship {order.id} TRK1")
    await owner.send(f"/deliver {order.id}")
    await kiosk.app.services.orders.buyer_action(
        buyer.id, order.id, Action.REQUEST_REFUND, datetime.now(UTC), "one mug broke"
    )
    await owner.send(f"/refunded {order.id} 1000")
    assert "Partly refunded" in last(owner), owner.transcript()
    await owner.send(f"/refunded {order.id} 1401")  # 14.00 is left
    assert "at most the 14.00 USD not yet refunded" in last(owner), owner.transcript()
    # The board's "Confirm refund" gives back the rest, and says how much that is.
    await owner.send("/admin")
    await owner.press("🧾 Orders")
    await owner.press(
        next(
            b for b in owner.last_bot_message.button_texts() if b.startswith("💸 Partly refunded")
        )
    )
    await owner.press(
        next(b for b in owner.last_bot_message.button_texts() if b.startswith(f"#{order.id} "))
    )
    await owner.press("💸 Confirm refund")
    assert f"Confirm that order #{order.id} has been refunded ($14.00)?" in last(owner)
    await owner.press("✅ Yes")
    row = await OrderRow.get(id=order.id)
    assert (row.status, row.payment_status) == ("refunded", "refunded")
    refunds = await RefundRow.filter(order_id=order.id).order_by("id")
    assert [r.amount for r in refunds] == [1000, 1400]  # 24.00, what was paid, and not 34.00
    told = [m.content for m in alice.bot_messages]
    assert any(f"Part of order #{order.id} has been refunded" in t for t in told)
    assert any(f"Order #{order.id} has been refunded" in t for t in told), alice.transcript()
    await owner.send("/report")
    await owner.press("7 days")
    sent = await files_arrived(owner)
    assert "Refunds: 2 ($24.00)" in sent[0].content, owner.transcript()
