"""Pages and fragments rendered on the server with Jinja2 (autoescaped: every merchant text,
product title and shopper input is escaped), in the shopper's language."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from aiogram.utils.i18n import I18n
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from domain.catalog.types import Product
from domain.kernel.errors import DomainError
from domain.kernel.money import money
from domain.orders.labels import STATUS_NAMES

TEMPLATES = Path(__file__).resolve().parent / "templates"


def photo_url(product: Product, index: int = 0) -> str | None:
    """A https photo as it is; a Telegram file id through the storefront's photo route."""
    if not 0 <= index < len(product.photos):
        return None
    photo = product.photos[index]
    if photo.startswith("https://"):
        return photo
    return f"photo/{product.id}/{index}"


Translate = Callable[..., str]


def translator(i18n: I18n, locale: str) -> Translate:
    """A msgid in `locale`, then its {placeholders} filled from the keyword arguments."""

    def translate(message: str, **params: Any) -> str:
        text = i18n.gettext(message, locale=locale)
        return text.format(**params) if params else text

    return translate


def error_text(i18n: I18n, locale: str, error: DomainError) -> str:
    """A DomainError in `locale`; string params are msgids too (a field's name, ...)."""
    params = {
        k: i18n.gettext(v, locale=locale) if isinstance(v, str) else v
        for k, v in error.params.items()
    }
    return i18n.gettext(error.message, locale=locale).format(**params)


class Renderer:
    def __init__(self, i18n: I18n) -> None:
        self.i18n = i18n
        self.env = Environment(
            loader=FileSystemLoader(TEMPLATES),
            autoescape=select_autoescape(["html"], default=True),
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            auto_reload=False,
        )
        # An order status's msgid by its value, the same names the chat shows (_status.html).
        status_names = {status.value: msgid for status, msgid in STATUS_NAMES.items()}
        self.env.globals.update(money=money, photo_url=photo_url, status_names=status_names)

    def render(self, template: str, locale: str, **context: Any) -> str:
        _ = translator(self.i18n, locale)
        return self.env.get_template(template).render(_=_, locale=locale, **context)
