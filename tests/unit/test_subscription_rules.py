"""The subscription state rules (domain/subscriptions/rules.py), the signed payloads, and the
offline payment switches of checkout (domain/orders)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from domain.orders.offline import can_mark_paid
from domain.orders.states import OrderStatus
from domain.orders.types import CheckoutConfig, PayMethod
from domain.subscriptions.rules import (
    LAPSE_GRACE,
    PERIOD_SECONDS,
    Decision,
    Subscription,
    SubStatus,
    can_cancel,
    can_resume,
    decide,
    lapse_cutoff,
    next_expiry,
)
from domain.subscriptions.service import (
    SubscriptionRefused,
    SubscriptionSigner,
    is_subscription_payload,
)

NOW = datetime(2026, 1, 10, 12, 0, tzinfo=UTC)
PERIOD = timedelta(seconds=PERIOD_SECONDS)


def sub(**kw: object) -> Subscription:
    base = Subscription(
        id=1,
        user_id=7,
        telegram_user_id=1007,
        plan_id=3,
        status=SubStatus.ACTIVE,
        canceled=False,
        expires_at=NOW + timedelta(days=10),
        charge_id="stx-first",
        last_charge_id="stx-first",
        started_at=NOW - timedelta(days=20),
    )
    return replace(base, **kw)  # type: ignore[arg-type]


def test_first_payment_starts_unless_one_is_live() -> None:
    assert decide(None, True, True, NOW) is Decision.START
    assert decide(sub(status=SubStatus.LAPSED), True, True, NOW) is Decision.START
    assert decide(sub(status=SubStatus.REFUNDED), True, True, NOW) is Decision.START
    # Two links paid at once: the second payment buys nothing and goes back.
    assert decide(sub(), True, True, NOW) is Decision.REFUND


def test_renewals() -> None:
    assert decide(sub(), True, False, NOW) is Decision.RENEW
    # Still active in the database but past its end (the job hasn't run): renewed anyway.
    late = sub(expires_at=NOW - timedelta(days=1))
    assert decide(late, True, False, NOW) is Decision.RENEW
    # A renewal for a cancelled subscription, or one the merchant refunded: refunded.
    assert decide(sub(canceled=True), True, False, NOW) is Decision.REFUND
    ended = sub(status=SubStatus.REFUNDED, canceled=True)
    assert decide(ended, True, False, NOW) is Decision.REFUND
    # Lapsed without being cancelled, and Telegram charged after all: it starts again.
    assert decide(sub(status=SubStatus.LAPSED), True, False, NOW) is Decision.START
    assert decide(None, True, False, NOW) is Decision.START


def test_live_grace_and_lapse_cutoff() -> None:
    end = NOW
    s = sub(expires_at=end)
    assert s.live(end + LAPSE_GRACE - timedelta(seconds=1))
    assert not s.live(end + LAPSE_GRACE)
    assert not sub(status=SubStatus.LAPSED).live(NOW)
    assert lapse_cutoff(end + LAPSE_GRACE) == end


def test_next_expiry() -> None:
    telegram = NOW + timedelta(days=30, minutes=1)
    assert next_expiry(None, telegram, PERIOD_SECONDS, NOW) == telegram
    assert next_expiry(None, None, PERIOD_SECONDS, NOW) == NOW + PERIOD
    later = NOW + timedelta(days=5)
    assert next_expiry(later, None, PERIOD_SECONDS, NOW) == later + PERIOD
    # A date in the past from Telegram is not believed.
    assert next_expiry(None, NOW - timedelta(days=1), PERIOD_SECONDS, NOW) == NOW + PERIOD


def test_cancel_and_resume() -> None:
    assert can_cancel(sub(), NOW) and not can_resume(sub(), NOW)
    cancelled = sub(canceled=True)
    assert can_resume(cancelled, NOW) and not can_cancel(cancelled, NOW)
    gone = sub(status=SubStatus.LAPSED, canceled=True)
    assert not can_resume(gone, NOW) and not can_cancel(gone, NOW)
    # Within the grace after its end a cancelled one can't be re-enabled: it is over.
    assert not can_resume(sub(canceled=True, expires_at=NOW - timedelta(minutes=1)), NOW)


def test_signed_payloads() -> None:
    signer = SubscriptionSigner(b"secret")
    payload = signer.sign(3, 7)
    assert is_subscription_payload(payload) and len(payload.encode()) <= 64
    assert signer.verify(payload) == (3, 7)
    assert not is_subscription_payload("12.1700000000.ab12cd34.mac")
    forged = payload.replace(".3.", ".4.", 1)
    for bad in (forged, "sub.3.7.x", "", SubscriptionSigner(b"other").sign(3, 7)):
        with pytest.raises(SubscriptionRefused):
            signer.verify(bad)


def test_offline_methods_are_optional_and_hold_stock_longer() -> None:
    assert CheckoutConfig(card=True).methods == [PayMethod.CARD]
    config = CheckoutConfig(card=True, cod=True, bank=True)
    assert config.methods == [PayMethod.CARD, PayMethod.COD, PayMethod.BANK]
    assert config.reservation_for(PayMethod.CARD) == config.reservation
    assert config.reservation_for(PayMethod.COD) == config.offline_reservation
    assert config.offline_reservation > config.reservation
    assert PayMethod.BANK.offline and not PayMethod.STARS.offline
    assert len(PayMethod.BANK.value) <= 8 and len(PayMethod.COD.value) <= 8


def test_only_waiting_offline_orders_can_be_marked_paid() -> None:
    class Placed:
        def __init__(self, method: PayMethod, status: OrderStatus) -> None:
            self.pay_method, self.status = method, status

    assert can_mark_paid(Placed(PayMethod.COD, OrderStatus.PENDING_PAYMENT))  # type: ignore[arg-type]
    assert not can_mark_paid(Placed(PayMethod.COD, OrderStatus.PAID))  # type: ignore[arg-type]
    assert not can_mark_paid(Placed(PayMethod.CARD, OrderStatus.PENDING_PAYMENT))  # type: ignore[arg-type]
