"""The console's orders board and order page over the API, on SQLite and PostgreSQL: counts,
filters and search; ship, deliver, cancel and refund through the one transition table with the
buyer told in the chat and every move audited as "console"; staff notes; and the refusals
(wrong state, forged numbers, bad input, no CSRF token) that change nothing."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import pytest_asyncio

from domain.kernel.errors import ValidationError
from domain.loyalty.rules import check_adjustment
from domain.orders.board import BoardQuery, day_range, note_text, search_text
from domain.orders.service import PayMethod
from domain.orders.states import Action
from storage.admin.models import AuditRow, OrderNoteRow
from storage.catalog.models import ProductRow
from storage.orders.models import OrderEventRow, OrderRow, PaymentRow, RefundRow
from tests.unit.test_import_boundaries import python_files, violations
from tests.web.console import MANAGER_ID, OWNER_ID, Console, console_app
from tests.web.console_orders_seed import ChatRecorder, buyer, paid_order

API = "/console/api/orders"


@pytest_asyncio.fixture
async def console(db: str) -> AsyncIterator[Console]:
    async with console_app() as c:
        yield c


async def test_the_board_counts_filters_and_searches(console: Console) -> None:
    s, mug = console.services, console.goods["mug"]
    ann = await buyer(s, 1001, "Ann", "ann_shops")
    bob = await buyer(s, 1002, "Bob", "bobby")
    first = await paid_order(s, ann, mug, placed=datetime.now(UTC) - timedelta(days=10))
    second = await paid_order(s, bob, mug, method=PayMethod.STARS)
    third = await paid_order(s, bob, mug, qty=1, pay=False)
    await s.board.act(OWNER_ID, second.id, Action.SHIP, datetime.now(UTC), tracking="DHL JD0042")
    owner = await console.client("owner")

    status, body = await owner.call("GET", API)
    assert status == 200
    counts = {c["status"]: c["count"] for c in body["counts"]}
    assert (counts["paid"], counts["shipped"], counts["pending_payment"]) == (1, 1, 1)
    assert body["total"] == 3 and [o["id"] for o in body["orders"]] == [
        third.id,
        second.id,
        first.id,
    ]
    row = body["orders"][1]
    assert (row["buyer"], row["username"], row["total"]) == ("Bob", "bobby", "50 ⭐")
    assert row["status_label"] == "🚚 Shipped" and row["tracking"] == "DHL JD0042"

    async def ids(query: str) -> list[int]:
        status, found = await owner.call("GET", f"{API}?{query}")
        assert status == 200, found
        return [o["id"] for o in found["orders"]]

    assert await ids("status=paid") == [first.id]
    assert await ids(f"q=%23{first.id}") == [first.id]  # "#12"
    assert await ids("q=%40bobby") == [third.id, second.id]  # "@bobby"
    assert await ids("q=ann") == [first.id]
    assert await ids("q=jd0042") == [second.id]  # part of the tracking number
    assert await ids("q=1002") == [third.id, second.id]  # the buyer's Telegram id
    assert await ids("method=stars") == [second.id]
    today = datetime.now(UTC).date()
    assert await ids(f"from={today - timedelta(days=1)}") == [third.id, second.id]
    assert await ids(f"to={today - timedelta(days=5)}") == [first.id]
    assert await ids("q=nobody+at+all") == []
    assert await ids("q=%25") == [] and await ids("q=__") == []  # LIKE's wildcards are text
    # The tabs count what the other filters leave, per status.
    status, found = await owner.call("GET", f"{API}?q=bobby&status=paid")
    assert found["orders"] == [] and found["total"] == 0
    assert {c["status"]: c["count"] for c in found["counts"]}["shipped"] == 1

    for bad in ("status=lost", "method=cash", "from=31-12-2025", "from=2026-02-01&to=2026-01-01"):
        status, refused = await owner.call("GET", f"{API}?{bad}")
        assert status == 400 and refused["message"], (bad, refused)


async def test_shipping_from_the_console_tells_the_buyer_and_is_audited(
    console: Console,
) -> None:
    chat = ChatRecorder(console)
    s = console.services
    ann = await buyer(s, 1001, "Ann")
    order = await paid_order(s, ann, console.goods["mug"])
    manager = await console.client("manager")  # the chat lets managers ship too

    status, body = await manager.call(
        "POST", f"{API}/{order.id}/actions/ship", {"carrier": "DHL", "tracking": "JD0123456789"}
    )
    assert status == 200, body
    assert body["order"]["status"] == "shipped" and body["order"]["tracking"] == "DHL JD0123456789"
    assert "shipped" in body["message"]
    row = await OrderRow.get(id=order.id)
    assert (row.status, row.tracking_number) == ("shipped", "DHL JD0123456789")
    told = chat.told(1001)
    assert any("has shipped" in t and "DHL JD0123456789" in t for t in told), told
    events = await OrderEventRow.filter(order_id=order.id).order_by("id")
    assert [(e.action, e.actor) for e in events][-1] == ("ship", f"merchant:{MANAGER_ID}")
    audit = await AuditRow.get(target=f"order:{order.id}")
    assert (audit.actor, audit.action) == (MANAGER_ID, "orders.ship")
    assert audit.details["source"] == "console" and audit.details["tracking"] == "DHL JD0123456789"
    # The timeline shows the move; delivering is next.
    status, page = await manager.call("GET", f"{API}/{order.id}")
    assert [e["action"] for e in page["timeline"]] == ["place", "pay", "ship"]
    assert page["timeline"][-1]["actor"] == f"staff {MANAGER_ID}"  # never opened the bot
    assert page["actions"] == ["deliver"]
    status, body = await manager.call("POST", f"{API}/{order.id}/actions/deliver", {})
    assert status == 200 and body["order"]["status"] == "delivered"
    assert any("has been delivered" in t for t in chat.told(1001))


async def test_refused_moves_change_nothing(console: Console) -> None:
    chat = ChatRecorder(console)
    s = console.services
    order = await paid_order(s, await buyer(s, 1001, "Ann"), console.goods["mug"])
    owner = await console.client("owner")
    before = await OrderEventRow.filter(order_id=order.id).count()

    async def refused(path: str, body: object, code: int, text: str, **kw: object) -> None:
        status, answer = await owner.call("POST", path, body, **kw)  # type: ignore[arg-type]
        assert status == code, (path, answer)
        if text:
            assert text in str(answer), answer

    wrong_state = "can't be done with the order in its current state"
    await refused(f"{API}/{order.id}/actions/deliver", {}, 409, wrong_state)
    await refused(f"{API}/{order.id}/actions/refund", {}, 409, wrong_state)
    await refused(f"{API}/99999/actions/ship", {"carrier": "DHL", "tracking": "X1234"}, 404, "")
    await refused(f"{API}/{order.id}/actions/teleport", {}, 400, "isn't valid")
    await refused(f"{API}/{order.id}/actions/complete", {}, 400, "isn't valid")
    await refused(
        f"{API}/{order.id}/actions/ship", {"carrier": "D", "tracking": "JD1"}, 400, "at least 2"
    )
    await refused(f"{API}/{order.id}/actions/ship", {"carrier": ["DHL"]}, 400, "isn't valid")
    await refused(f"{API}/{order.id}/actions/cancel", {"reason": ""}, 400, "Reason")
    await refused(f"{API}/{order.id}/actions/ship", "not an object", 400, "isn't valid")
    await refused(
        f"{API}/{order.id}/actions/ship",
        {"carrier": "DHL", "tracking": "JD0123456"},
        403,
        "out of date",
        csrf=False,
    )
    await refused(
        f"{API}/{order.id}/actions/ship",
        {"carrier": "DHL", "tracking": "JD0123456"},
        403,
        "",
        csrf="forged-token",
    )
    status, _ = await owner.call("GET", f"{API}/2147483648")
    assert status == 404
    row = await OrderRow.get(id=order.id)
    assert (row.status, row.tracking_number) == ("paid", None)
    assert await OrderEventRow.filter(order_id=order.id).count() == before
    assert await AuditRow.filter(target=f"order:{order.id}").count() == 0
    assert chat.sent == []
    # Signed out, or a shopper: refused too.
    for who in ("anonymous", "shopper"):
        client = await console.client(who)
        status, _ = await client.call(
            "POST", f"{API}/{order.id}/actions/ship", {"carrier": "DHL", "tracking": "JD01234"}
        )
        assert status in (401, 403), who
    assert (await OrderRow.get(id=order.id)).status == "paid"


async def test_cancel_then_card_refund_in_parts(console: Console) -> None:
    chat = ChatRecorder(console)
    s = console.services
    order = await paid_order(s, await buyer(s, 1001, "Ann"), console.goods["mug"])  # 25.00
    owner = await console.client("owner")
    status, body = await owner.call(
        "POST", f"{API}/{order.id}/actions/cancel", {"reason": "out of mugs, sorry"}
    )
    assert status == 200 and body["order"]["status"] == "refund_requested", body
    assert body["order"]["refundable"] == "$25.00" and "refund" in body["order"]["actions"]
    assert any(f"Order #{order.id} was cancelled" in t for t in chat.told(1001))
    status, body = await owner.call(
        "POST", f"{API}/{order.id}/actions/refund", {"amount": "30.00"}
    )
    assert status == 400 and "at most the 25.00 USD not yet refunded" in body["message"]
    status, body = await owner.call("POST", f"{API}/{order.id}/actions/refund", {"amount": "10"})
    assert status == 200 and body["order"]["status"] == "partially_refunded", body
    status, body = await owner.call("POST", f"{API}/{order.id}/actions/refund", {"amount": ""})
    assert status == 200 and body["order"]["status"] == "refunded", body
    refunds = await RefundRow.filter(order_id=order.id).order_by("id")
    assert [(r.amount, r.confirmed_by) for r in refunds] == [
        (1000, f"merchant:{OWNER_ID}"),
        (1500, f"merchant:{OWNER_ID}"),
    ]
    told = chat.told(1001)
    assert any(f"Part of order #{order.id} has been refunded" in t for t in told)
    assert any(f"Order #{order.id} has been refunded" in t for t in told)
    audited = await AuditRow.filter(target=f"order:{order.id}").order_by("id")
    assert [a.action for a in audited] == ["orders.cancel", "orders.refund", "orders.refund"]
    assert {a.details["source"] for a in audited} == {"console"}
    assert audited[1].details["amount"] == 1000


async def test_stars_are_refunded_through_telegram(console: Console) -> None:
    chat = ChatRecorder(console)
    s = console.services
    ann = await buyer(s, 1001, "Ann")
    order = await paid_order(s, ann, console.goods["mug"], method=PayMethod.STARS)
    owner = await console.client("owner")
    await owner.call("POST", f"{API}/{order.id}/actions/cancel", {"reason": "cannot ship"})
    status, body = await owner.call("POST", f"{API}/{order.id}/actions/refund", {"amount": "10"})
    assert status == 400 and "Stars can only be refunded in full" in body["message"]
    chat.refuse_refunds = True  # Telegram says no: the order waits, the owner can retry
    status, body = await owner.call("POST", f"{API}/{order.id}/actions/refund", {})
    assert status == 200 and body["order"]["status"] == "refund_requested"
    assert "did not refund the Stars" in body["message"]
    chat.refuse_refunds = False
    status, body = await owner.call("POST", f"{API}/{order.id}/actions/refund", {})
    assert status == 200 and body["order"]["status"] == "refunded", body
    assert chat.refunds == [(1001, f"charge-{order.id}")]
    refund = await RefundRow.get(order_id=order.id)
    assert (refund.amount, refund.currency, refund.confirmed_by) == (50, "XTR", "telegram")
    assert any(f"Order #{order.id} has been refunded" in t for t in chat.told(1001))


async def test_an_offline_order_is_marked_paid_once_and_the_buyer_gets_the_receipt(
    console: Console,
) -> None:
    chat = ChatRecorder(console)
    s, mug = console.services, console.goods["mug"]
    ann = await buyer(s, 1001, "Ann")
    cod = await paid_order(s, ann, mug, method=PayMethod.COD, pay=False)  # 2 mugs, $25.00
    bank = await paid_order(s, ann, mug, qty=1, method=PayMethod.BANK, pay=False)
    card = await paid_order(s, ann, mug, qty=1)  # paid through Telegram
    unpaid_card = await paid_order(s, ann, mug, qty=1, pay=False)
    manager = await console.client("manager")  # the chat's /paid is for managers too

    # The board finds the offline orders waiting for their money.
    status, body = await manager.call("GET", f"{API}?status=pending_payment&method=cod")
    assert status == 200 and [o["id"] for o in body["orders"]] == [cod.id], body
    assert body["orders"][0]["method_label"] == "Cash on delivery"
    status, body = await manager.call("GET", f"{API}?method=bank")
    assert [(o["id"], o["method_label"]) for o in body["orders"]] == [(bank.id, "Bank transfer")]
    status, html = await manager.page("/console/orders")
    assert '<option value="cod"' in html and '<option value="bank"' in html
    for order, offered in ((cod, True), (bank, True), (card, False), (unpaid_card, False)):
        status, page = await manager.call("GET", f"{API}/{order.id}")
        assert ("mark_paid" in page["actions"]) is offered, (order.pay_method, page["actions"])
    status, html = await manager.page(f"/console/orders/{cod.id}")
    assert f'data-api="/console/api/orders/{cod.id}/paid"' in html
    assert 'data-testid="action-mark_paid"' in html

    before = await ProductRow.get(id=mug)
    status, body = await manager.call("POST", f"{API}/{cod.id}/paid", {})
    assert status == 200, body
    assert (body["order"]["status"], body["order"]["payment_status"]) == ("paid", "paid")
    assert (
        body["message"] == f"Order #{cod.id} is marked paid; the buyer has been sent the receipt."
    )
    assert "mark_paid" not in body["order"]["actions"] and "process" in body["order"]["actions"]
    assert body["order"]["timeline"][-1]["action"] == "pay"
    # The chat's receipt, as after /paid or a card payment.
    assert any(f"Payment received for order #{cod.id}" in t for t in chat.told(1001)), chat.sent
    after = await ProductRow.get(id=mug)
    assert (after.on_hand, after.reserved) == (before.on_hand - 2, before.reserved - 2)
    payment = await PaymentRow.get(order_id=cod.id)
    assert (payment.charge_id, payment.provider_charge_id) == (
        f"offline:{cod.id}",
        f"staff:{MANAGER_ID}",
    )
    audit = await AuditRow.get(action="orders.mark_paid", target=f"order:{cod.id}")
    assert (audit.actor, audit.details["source"], audit.details["amount"]) == (
        MANAGER_ID,
        "console",
        2500,
    )
    last = await OrderEventRow.filter(order_id=cod.id).order_by("-id").first()
    assert last is not None and (last.action, last.actor) == ("pay", f"merchant:{MANAGER_ID}")

    # Every refusal below changes nothing: no payment, event, audit line or message.
    async def unchanged() -> tuple[int, int, int, int, list[str]]:
        return (
            await PaymentRow.all().count(),
            await OrderEventRow.all().count(),
            await AuditRow.all().count(),
            len(chat.sent),
            [o.status for o in await OrderRow.all().order_by("id")],
        )

    state = await unchanged()
    status, body = await manager.call("POST", f"{API}/{cod.id}/paid", {})  # a second press
    assert status == 409 and "can't be done" in body["message"], body
    for order in (card, unpaid_card):
        status, body = await manager.call("POST", f"{API}/{order.id}/paid", {})
        assert status == 400 and "paid through Telegram, not offline" in body["message"], body
    status, body = await manager.call("POST", f"{API}/{bank.id}/actions/mark_paid", {})
    assert status == 400, body  # its own route only
    status, body = await manager.call("POST", f"{API}/99999/paid", {})
    assert status == 404, body
    status, body = await manager.call("POST", f"{API}/{bank.id}/paid", {}, csrf=False)
    assert status == 403 and "out of date" in body["message"], body
    for who in ("anonymous", "shopper"):
        client = await console.client(who)
        status, _ = await client.call("POST", f"{API}/{bank.id}/paid", {})
        assert status in (401, 403), who
    assert await unchanged() == state
    assert (await OrderRow.get(id=bank.id)).status == "pending_payment"


async def test_staff_notes_say_who_and_when(console: Console) -> None:
    s = console.services
    await buyer(s, OWNER_ID, "Olga")  # the owner opened the bot once: her name is known
    order = await paid_order(s, await buyer(s, 1001, "Ann"), console.goods["mug"])
    owner = await console.client("owner")
    manager = await console.client("manager")
    status, body = await owner.call(
        "POST", f"{API}/{order.id}/notes", {"text": "Gift wrap,\n\nplease  "}
    )
    assert status == 201 and body["note"]["text"] == "Gift wrap,\nplease", body
    await manager.call("POST", f"{API}/{order.id}/notes", {"text": "Wrapped."})
    ChatRecorder(console).unreachable = True  # the move is recorded and reported all the same
    status, body = await owner.call("POST", f"{API}/{order.id}/actions/process", {})
    assert status == 200 and body["order"]["timeline"][-1]["actor"] == "Olga"
    assert body["order"]["status"] == "processing"
    assert "could not be reached to tell the buyer" in body["message"]
    status, page = await owner.call("GET", f"{API}/{order.id}")
    notes = [(n["author"], n["text"]) for n in page["notes"]]
    assert notes == [("Olga", "Gift wrap,\nplease"), (str(MANAGER_ID), "Wrapped.")]
    audit = await AuditRow.filter(action="orders.note").order_by("id")
    assert [(a.actor, a.details["source"]) for a in audit] == [
        (OWNER_ID, "console"),
        (MANAGER_ID, "console"),
    ]
    for bad in ({"text": "   "}, {"text": "x" * 1001}, {"text": "bell\x07"}, {"text": ["a"]}):
        status, _ = await owner.call("POST", f"{API}/{order.id}/notes", bad)
        assert status == 400, bad
    status, _ = await owner.call("POST", f"{API}/424242/notes", {"text": "lost"})
    assert status == 404
    assert await OrderNoteRow.all().count() == 2


async def test_the_pages_show_the_board_and_the_order(console: Console) -> None:
    s = console.services
    order = await paid_order(s, await buyer(s, 1001, "Ann <b>"), console.goods["mug"])
    owner = await console.client("owner")
    status, html = await owner.page("/console/orders?status=paid")
    assert status == 200
    assert 'data-testid="status-paid" data-count="1"' in html
    assert f'data-order-id="{order.id}"' in html and "Ann &lt;b&gt;" in html
    status, html = await owner.page(f"/console/orders/{order.id}")
    assert status == 200
    assert 'data-testid="action-ship"' in html and 'data-testid="action-cancel"' in html
    assert 'data-testid="action-deliver"' not in html
    assert "Coffee mug" in html and "$25.00" in html and "1 High St" in html
    status, html = await owner.page("/console/orders/999999")
    assert status == 404
    # In Chinese for a staff member who chose it in the bot.
    olga = await buyer(s, OWNER_ID, "Olga")
    await s.users.set_language(olga.id, "zh")
    status, html = await owner.page(f"/console/orders/{order.id}")
    assert "发货" in html and "咖啡杯" in html, html[:2000]


def test_the_boards_small_rules() -> None:
    zone = ZoneInfo("Asia/Shanghai")
    start, end = day_range(date(2026, 1, 1), date(2026, 1, 31), zone)
    assert start == datetime(2026, 1, 1, tzinfo=zone) and end == datetime(2026, 2, 1, tzinfo=zone)
    assert day_range(None, None, zone) == (None, None)
    with pytest.raises(ValidationError):
        day_range(date(2026, 2, 1), date(2026, 1, 1), zone)
    assert search_text("  #12   ") == "#12" and search_text("") == ""
    assert (
        BoardQuery(text="#12").order_id == 12 and BoardQuery(text="99999999999").order_id is None
    )
    assert note_text(" a  b \r\n\n\n c ") == "a b\nc"
    for bad in ("", " \n ", "x" * 1001, "tab\x00"):
        with pytest.raises(ValidationError):
            note_text(bad)
    assert check_adjustment(-5, "  fix   it ").reason == "fix it"
    for points, reason in ((0, "why not"), (10**9, "too many"), (5, "no")):
        with pytest.raises(ValidationError):
            check_adjustment(points, reason)


def test_the_web_adapter_never_imports_the_chat_adapter() -> None:
    """The console tells buyers through `services.order_notifier` (the chat's implementation,
    wired in bot/wiring.py), not by importing handlers/."""
    assert violations(python_files("web"), ("handlers",)) == []
