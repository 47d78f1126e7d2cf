"""Payloads Kiosk hands to Telegram and gets back (an invoice's, a subscription's): fields joined
by dots, then a short HMAC of them, so that a forged or altered payload is refused without a
lookup. 18 bytes of HMAC-SHA-256 in url-safe base64 (24 characters) keeps a payload well under
Telegram's 128 bytes."""

from __future__ import annotations

import base64
import hashlib
import hmac


class PayloadMac:
    """Signs and opens `field.field....mac` payloads under a key of its own `purpose`."""

    def __init__(self, purpose: bytes, secret: bytes) -> None:
        self._key = hashlib.sha256(purpose + secret).digest()

    def _mac(self, body: str) -> str:
        digest = hmac.new(self._key, body.encode(), hashlib.sha256).digest()[:18]
        return base64.urlsafe_b64encode(digest).decode().rstrip("=")

    def sign(self, *fields: str) -> str:
        body = ".".join(fields)
        return f"{body}.{self._mac(body)}"

    def open(self, payload: str, fields: int, max_bytes: int = 128) -> list[str] | None:
        """The `fields` fields of a payload signed with this key; None for anything else."""
        parts = (payload or "").split(".")
        if len(parts) != fields + 1 or len(payload.encode()) > max_bytes:
            return None
        body = ".".join(parts[:fields])
        if not hmac.compare_digest(self._mac(body).encode(), parts[fields].encode()):
            return None
        return parts[:fields]
