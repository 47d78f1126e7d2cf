"""Pure rules of the money path: invoice signatures, the transition table, prices, coupons."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from domain.catalog.types import Localized
from domain.orders.payments import InvoiceSigner, PaymentRefused, PriceKind, invoice_prices
from domain.orders.pricing import (
    Coupon,
    CouponInvalid,
    CouponKind,
    PricedLine,
    coupon_discount,
    normalise_code,
    plain_money,
    stars_amount,
)
from domain.orders.service import Order, OrderLine, PayMethod, _merge_lines
from domain.orders.states import (
    BUYER_ACTIONS,
    Action,
    FulfilmentStatus,
    OrderStatus,
    PaymentStatus,
    StockMove,
    TransitionRefused,
    allowed_actions,
    transition_for,
)

NOW = datetime(2026, 1, 1, tzinfo=UTC)
S, P, F, A = OrderStatus, PaymentStatus, FulfilmentStatus, Action


def test_payload_round_trip_and_size() -> None:
    signer = InvoiceSigner(b"secret")
    payload = signer.sign(2_147_483_647, NOW)
    assert len(payload.encode()) <= 128
    assert signer.verify(payload).order_id == 2_147_483_647


@pytest.mark.parametrize(
    "mangle",
    [
        lambda p: p.replace(p.split(".")[0], "7", 1),  # another order id
        lambda p: p[:-1] + ("A" if p[-1] != "A" else "B"),  # altered mac
        lambda p: "1.2.3",
        lambda p: "",
        lambda p: p + ".x",
    ],
)
def test_forged_payloads_are_refused(mangle) -> None:  # type: ignore[no-untyped-def]
    signer = InvoiceSigner(b"secret")
    with pytest.raises(PaymentRefused):
        signer.verify(mangle(signer.sign(12, NOW)))


def test_payload_from_another_secret_is_refused() -> None:
    with pytest.raises(PaymentRefused):
        InvoiceSigner(b"other").verify(InvoiceSigner(b"secret").sign(12, NOW))


def test_transition_table_money_and_stock() -> None:
    pay = transition_for(S.PENDING_PAYMENT, A.PAY, P.UNPAID, F.UNFULFILLED)
    assert (pay.target, pay.payment, pay.stock) == (S.PAID, P.PAID, StockMove.SELL)
    expire = transition_for(S.PENDING_PAYMENT, A.EXPIRE, P.UNPAID, F.UNFULFILLED)
    assert (expire.stock, expire.release_coupon) == (StockMove.RELEASE, True)
    cancel_paid = transition_for(S.PAID, A.CANCEL, P.PAID, F.UNFULFILLED)
    assert (cancel_paid.target, cancel_paid.stock) == (S.REFUND_REQUESTED, StockMove.RESTOCK)
    late = transition_for(S.EXPIRED, A.PAY_LATE, P.VOID, F.CANCELLED)
    assert (late.target, late.stock) == (S.REFUND_REQUESTED, StockMove.NONE)


def test_no_cancel_after_shipping_and_no_return_of_goods_never_sent() -> None:
    with pytest.raises(TransitionRefused):
        transition_for(S.SHIPPED, A.CANCEL, P.PAID, F.SHIPPED)
    with pytest.raises(TransitionRefused):  # cancelled unshipped: goods were never out
        transition_for(S.REFUND_REQUESTED, A.RETURN, P.REFUND_PENDING, F.CANCELLED)
    ok = transition_for(S.REFUNDED, A.RETURN, P.REFUNDED, F.DELIVERED)
    assert ok.stock is StockMove.RESTOCK
    with pytest.raises(TransitionRefused):  # paid twice? never: pay only from pending
        transition_for(S.PAID, A.PAY, P.PAID, F.UNFULFILLED)


def test_buyer_buttons_follow_the_table() -> None:
    assert allowed_actions(S.PENDING_PAYMENT, P.UNPAID, F.UNFULFILLED, BUYER_ACTIONS) == [A.CANCEL]
    assert allowed_actions(S.SHIPPED, P.PAID, F.SHIPPED, BUYER_ACTIONS) == [
        A.COMPLETE,
        A.REQUEST_REFUND,
    ]
    assert allowed_actions(S.REFUNDED, P.REFUNDED, F.CANCELLED, BUYER_ACTIONS) == []


def coupon(**kw) -> Coupon:  # type: ignore[no-untyped-def]
    base = Coupon(1, "SAVE", CouponKind.PERCENT, 10, "USD")
    return replace(base, **kw)


def test_coupon_rules() -> None:
    lines = [PricedLine(1999, 1), PricedLine(1000, 2)]
    assert coupon_discount(coupon(), lines, "USD", NOW) == 299  # rounded down
    assert coupon_discount(coupon(kind=CouponKind.FIXED, value=5000), lines, "USD", NOW) == 2999
    assert coupon_discount(coupon(), lines, "USD", NOW, scope={2}) == 100
    for bad in (
        coupon(ends_at=NOW),
        coupon(starts_at=NOW + timedelta(seconds=1)),
        coupon(usage_limit=3, used=3),
        coupon(min_order=5000),
        coupon(active=False),
    ):
        with pytest.raises(CouponInvalid):
            coupon_discount(bad, lines, "USD", NOW)
    with pytest.raises(CouponInvalid):
        coupon_discount(coupon(), lines, "USD", NOW, scope={99})
    assert normalise_code(" save 10 ") == "SAVE10"
    assert plain_money(1250, "USD") == "12.50 USD" and plain_money(7, "XTR") == "7 XTR"


def test_stars_conversion() -> None:
    assert stars_amount(2401, "USD", 2) == 1201  # rounded up
    assert stars_amount(50, "XTR", 2) == 50
    assert stars_amount(1, "USD", 100) == 1


def order(**kw) -> Order:  # type: ignore[no-untyped-def]
    line = OrderLine(1, None, "MUG", Localized("Mug"), "", 1200, 2)
    base = Order(
        id=1,
        user_id=1,
        status=S.PENDING_PAYMENT,
        payment_status=P.UNPAID,
        fulfilment_status=F.UNFULFILLED,
        lines=(line,),
        currency="USD",
        subtotal=2400,
        discount=0,
        shipping=500,
        pay_method=PayMethod.CARD,
        pay_currency="USD",
        pay_amount=2900,
        address="",
        shipping_option_id="std",
        shipping_title=Localized("Standard"),
        coupon_id=None,
        coupon_code=None,
        tracking_number=None,
        refund_reason=None,
        created_at=NOW,
        expires_at=NOW,
    )
    return replace(base, **kw)


def test_invoice_prices_are_positive_and_add_up() -> None:
    plain = invoice_prices(order())
    assert [p.kind for p in plain] == [PriceKind.ITEM, PriceKind.SHIPPING]
    discounted = invoice_prices(order(discount=400, coupon_code="SAVE", pay_amount=2500))
    assert [p.amount for p in discounted] == [2000, 500]
    assert all(p.amount > 0 for p in discounted)
    stars = invoice_prices(order(pay_method=PayMethod.STARS, pay_currency="XTR", pay_amount=1450))
    assert [(p.kind, p.amount) for p in stars] == [(PriceKind.STARS, 1450)]


def test_one_sku_twice_is_merged() -> None:
    line = OrderLine(1, 5, "TEE-M", Localized("Tee"), "M", 2000, 1)
    merged = _merge_lines([line, line, replace(line, variant_id=6)])
    assert [(m.variant_id, m.quantity) for m in merged] == [(5, 2), (6, 1)]
