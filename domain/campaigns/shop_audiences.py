"""Audience kinds that depend on what people bought or keep in their cart.

"buyers_of_category": users with a paid order containing a product of that category or of any
category below it; "has_cart": users whose cart is not empty. Those facts live in the orders
tables, not on `User`, so the rule itself is the SQL filter in storage/jobs/audiences.py; the
`matches` here can only apply the part every audience shares
(domain.campaigns.audiences.eligible, which
`in_audience` checks before calling it) and is therefore permissive.
"""

from __future__ import annotations

from datetime import datetime

from domain.campaigns.audiences import AudienceKind, register_audience
from domain.kernel.errors import ValidationError
from domain.kernel.i18n import N_
from domain.users.service import User

BUYERS_OF_CATEGORY = "buyers_of_category"
HAS_CART = "has_cart"


def parse_category_id(raw: str) -> str:
    text = raw.strip().lstrip("#")
    if not text.isascii() or not text.isdigit() or not 1 <= int(text) < 2**31:
        raise ValidationError(N_("Send the category's number, e.g. 12."))
    return str(int(text))


def _decided_in_storage(user: User, value: str, now: datetime) -> bool:
    return True


def register_kinds() -> None:
    """Make both kinds selectable in the campaign composer (idempotent)."""
    register_audience(
        AudienceKind(
            BUYERS_OF_CATEGORY,
            N_("Buyers of category #{value}"),
            _decided_in_storage,
            parse=parse_category_id,
            prompt=N_(
                "Buyers of which category? Send its number (subcategories are included), e.g. 12."
            ),
        )
    )
    register_audience(AudienceKind(HAS_CART, N_("Has items in the cart"), _decided_in_storage))
