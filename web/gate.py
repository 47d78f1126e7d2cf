"""The storefront's side of the support line's gate (the chat's is bot/middlewares.py:
SupportGateMiddleware), with the same domain rule (SupportService.refusal): a blocked shopper
is told politely that the shop can't serve them and nothing of theirs is processed (not even
registration); while the owner has closed the shop, shoppers get the owner's message instead
of the shop; staff always get through.

A payment in flight still completes while the shop is closed: Telegram's payment updates go
to the chat, which lets them through, and the page may still read the order it is paying for
to show its outcome. Starting anything new (a cart, an order, a new invoice link) waits.
"""

from __future__ import annotations

import logging
import re

from aiohttp import web

from domain.kernel.i18n import N_
from domain.support.service import Refusal
from domain.users.service import resolve_language
from web.keys import CALLER, I18N, SERVICES
from web.middleware import Handler, error_response, is_api

log = logging.getLogger(__name__)

BLOCKED = N_("We're sorry, but this shop can't serve you.")
CLOSED = N_("🚧 The shop is closed for now.")
# What the page reads after Telegram's payment form closes (web/static/app.js: showOrder).
_PAYMENT_OUTCOME = re.compile(r"/api/(?:view/order|orders)/\d+$")


@web.middleware
async def gate(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Every API call of a known caller (after `authenticate`, before the shopper is
    registered): 403 `blocked` or 503 `closed` with a translated message, else on."""
    if not is_api(request) or CALLER not in request:
        return await handler(request)
    identity = request[CALLER].identity
    support = request.config_dict[SERVICES].support
    refusal = await support.refusal(identity.telegram_id)
    if refusal is None or (refusal is Refusal.CLOSED and follows_a_payment(request)):
        return await handler(request)
    log.info(
        "storefront %s %s from %s refused: %s",
        request.method,
        request.path,
        identity.telegram_id,
        refusal.value,
    )
    i18n, locale = request.config_dict[I18N], resolve_language(identity.language_code)
    if refusal is Refusal.BLOCKED:
        return error_response(403, "blocked", i18n.gettext(BLOCKED, locale=locale))
    note = (await support.maintenance()).message
    text = i18n.gettext(CLOSED, locale=locale) + (f"\n\n{note}" if note else "")
    return error_response(503, "closed", text)


def follows_a_payment(request: web.Request) -> bool:
    """Reading one order's state: how the page learns the outcome of a payment."""
    return request.method == "GET" and _PAYMENT_OUTCOME.search(request.path) is not None
