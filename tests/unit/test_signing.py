"""The payload MAC the invoice and subscription signers share (domain/kernel/signing.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from domain.kernel.signing import PayloadMac
from domain.orders.payments import InvoiceSigner
from domain.subscriptions.service import SubscriptionSigner

SECRET = b"test-secret"


def test_a_signed_payload_opens_to_its_fields() -> None:
    mac = PayloadMac(b"kiosk-invoice:", SECRET)
    assert mac.open(mac.sign("12", "1700000000", "ab12"), 3) == ["12", "1700000000", "ab12"]


def test_altered_foreign_or_oversized_payloads_do_not_open() -> None:
    mac = PayloadMac(b"kiosk-invoice:", SECRET)
    payload = mac.sign("12", "1700000000", "ab12")
    assert mac.open(payload.replace("12.", "13.", 1), 3) is None  # another order
    assert mac.open(payload, 2) is None  # another shape
    assert PayloadMac(b"kiosk-subscription:", SECRET).open(payload, 3) is None  # another purpose
    assert PayloadMac(b"kiosk-invoice:", b"other").open(payload, 3) is None  # another shop
    assert mac.open(payload, 3, max_bytes=len(payload) - 1) is None
    assert mac.open("", 3) is None


def test_both_signers_round_trip_within_telegrams_128_bytes() -> None:
    sub = SubscriptionSigner(SECRET).sign(3, 7)
    assert SubscriptionSigner(SECRET).verify(sub) == (3, 7)
    expires = datetime.now(UTC) + timedelta(minutes=15)
    invoice = InvoiceSigner(SECRET).sign(41, expires)
    claim = InvoiceSigner(SECRET).verify(invoice)
    assert (claim.order_id, claim.expires_at) == (41, int(expires.timestamp()))
    assert max(len(sub.encode()), len(invoice.encode())) <= 128
