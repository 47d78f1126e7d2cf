"""The one place where failures become messages: translated domain errors, polite apologies."""

from __future__ import annotations

import logging
from contextlib import AbstractContextManager, ExitStack, nullcontext
from typing import Any

from aiogram import Dispatcher
from aiogram.exceptions import TelegramBadRequest, TelegramForbiddenError
from aiogram.filters import ExceptionTypeFilter
from aiogram.types import ErrorEvent, Update
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _

from bot.middlewares import REDELIVER, Redeliver, UpdateInProgress
from domain.kernel.errors import DomainError

log = logging.getLogger(__name__)


def render_domain_error(error: DomainError) -> str:
    """Translate the message and any text parameters (e.g. a field name) into the locale."""
    params = {k: _(v) if isinstance(v, str) else v for k, v in error.params.items()}
    return _(error.message).format(**params)


async def tell(update: Update, text: str) -> None:
    """Answer whatever kind of update failed, so the person is never left in silence."""
    try:
        if update.callback_query is not None:
            await update.callback_query.answer(text[:200], show_alert=True)
        elif update.message is not None:
            await update.message.answer(text)
        elif update.pre_checkout_query is not None:
            await update.pre_checkout_query.answer(ok=False, error_message=text)
        elif update.shipping_query is not None:
            await update.shipping_query.answer(ok=False, error_message=text)
        elif update.inline_query is not None:
            await update.inline_query.answer([], cache_time=1, is_personal=True)
    except (TelegramBadRequest, TelegramForbiddenError) as exc:
        log.warning("could not tell update %s about its error: %s", update.update_id, exc)


def _in_locale(data: dict[str, Any]) -> AbstractContextManager[object]:
    """Error handlers run outside the per-update middlewares, so restore the reader's locale."""
    i18n: I18n | None = data.get("i18n_core")
    if i18n is None:
        return nullcontext()
    locale = data.get("locale") or i18n.default_locale
    stack = ExitStack()
    stack.enter_context(i18n.context())
    stack.enter_context(i18n.use_locale(locale))
    return stack


async def on_domain_error(event: ErrorEvent, **data: Any) -> None:
    assert isinstance(event.exception, DomainError)
    with _in_locale(data):
        await tell(event.update, render_domain_error(event.exception))


async def on_forbidden(event: ErrorEvent) -> None:
    log.info("update %s: user has blocked the bot (%s)", event.update.update_id, event.exception)


async def on_unexpected(event: ErrorEvent, **data: Any) -> None:
    log.error(
        "update %s failed: %r",
        event.update.update_id,
        event.exception,
        exc_info=event.exception,
    )
    with _in_locale(data):
        await tell(event.update, _("Sorry, something went wrong on our side. Please try again."))


async def on_in_progress(event: ErrorEvent) -> Redeliver:
    """The update is being handled (another replica, or an earlier copy here): the webhook
    answers 503 so Telegram delivers it again later, by when it is done or its lease ran out."""
    log.info("update %s is being handled elsewhere; asking for redelivery", event.update.update_id)
    return REDELIVER


def register_error_handlers(dp: Dispatcher) -> None:
    """Errors bubble up from every router to the dispatcher, so they are caught here once."""
    dp.errors.register(on_in_progress, ExceptionTypeFilter(UpdateInProgress))
    dp.errors.register(on_domain_error, ExceptionTypeFilter(DomainError))
    dp.errors.register(on_forbidden, ExceptionTypeFilter(TelegramForbiddenError))
    dp.errors.register(on_unexpected)
