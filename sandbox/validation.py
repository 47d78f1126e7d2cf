"""Request-parameter access and Telegram's validation rules (limits, keyboards, invoices).

aiogram posts everything as form fields where nested objects are JSON strings and numbers are
their JSON text, while other clients post a JSON body; ``Params`` hides the difference so each
method handler reads typed values and refuses malformed ones with Telegram-like errors.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import urlsplit

from .models import ApiError, bad
from .textparse import Entity, parse_text, utf16_len

MAX_TEXT = 4096
MAX_CAPTION = 1024
MAX_CALLBACK_DATA = 64
MAX_BUTTONS = 100
MAX_ROW = 8
_ACTIONS = (
    "callback_data",
    "url",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "callback_game",
    "pay",
    "web_app",
    "copy_text",
)
_URL_RE = re.compile(r"^(https?|tg)://\S+$", re.IGNORECASE)
_CMD_RE = re.compile(r"^[a-z0-9_]{1,32}$")
_CURRENCY_RE = re.compile(r"^[A-Z]{3}$")
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


class Params:
    """Typed, tolerant view over request parameters (JSON values or their string forms)."""

    def __init__(self, data: dict[str, Any], files: dict[str, tuple[bytes, str, str]]):
        self.data = data
        self.files = files  # field name -> (content, filename, content type)

    def has(self, key: str) -> bool:
        return self.data.get(key) not in (None, "")

    def raw(self, key: str) -> Any:
        return self.data.get(key)

    def string(self, key: str, required: bool = False) -> str | None:
        v = self.data.get(key)
        if v is None:
            if required:
                raise bad(f"{key} is empty" if key == "text" else f'parameter "{key}" is required')
            return None
        return (
            v
            if isinstance(v, str)
            else json.dumps(v)
            if isinstance(v, dict | list)
            else (str(v).lower() if isinstance(v, bool) else str(v))
        )

    def integer(self, key: str, required: bool = False, default: int | None = None) -> int | None:
        v = self.data.get(key)
        if v in (None, ""):
            if required:
                raise bad(f'parameter "{key}" is required')
            return default
        try:
            if isinstance(v, bool):
                raise ValueError
            return int(v)
        except (TypeError, ValueError):
            raise bad(f'invalid parameter "{key}"') from None

    def number(self, key: str, default: float) -> float:
        v = self.data.get(key)
        if v in (None, ""):
            return default
        try:
            return float(v)
        except (TypeError, ValueError):
            raise bad(f'invalid parameter "{key}"') from None

    def flag(self, key: str) -> bool:
        v = self.data.get(key)
        if isinstance(v, str):
            return v.strip().lower() in ("true", "1", "yes")
        return bool(v)

    def json(self, key: str) -> Any:
        v = self.data.get(key)
        if isinstance(v, str):
            if v == "":
                return None
            try:
                return json.loads(v)
            except ValueError:
                raise bad(f"can't parse {key} JSON object") from None
        return v

    def chat_id(self) -> int:
        v = self.data.get("chat_id")
        if v in (None, ""):
            raise bad("chat_id is empty")
        try:
            return int(v)
        except (TypeError, ValueError):
            raise bad("chat not found") from None


def check_text(
    p: Params,
    key: str = "text",
    entities_key: str = "entities",
    mode_key: str = "parse_mode",
    caption: bool = False,
) -> tuple[str | None, list[Entity] | None]:
    """Parse and bound a text/caption the way Telegram does (UTF-16 length after parsing)."""
    raw = p.string(key)
    if raw is None or raw == "":
        if caption:
            return None, None
        raise bad("message text is empty")
    text, entities = parse_text(raw, p.string(mode_key))
    if entities is None and p.has(entities_key):
        entities = p.json(entities_key)
        if not isinstance(entities, list):
            raise bad(f"can't parse {entities_key} JSON object")
    if not text.strip():
        if caption:
            return None, None
        raise bad("message text is empty")
    limit = MAX_CAPTION if caption else MAX_TEXT
    if utf16_len(text) > limit:
        raise bad("message caption is too long" if caption else "message is too long")
    return text, entities


def check_reply_markup(p: Params, inline_only: bool = False) -> dict[str, Any] | None:
    """Validate any reply_markup kind; edits accept inline keyboards only."""
    markup = p.json("reply_markup")
    if markup is None:
        return None
    if not isinstance(markup, dict):
        raise bad("can't parse reply keyboard markup JSON object")
    if "inline_keyboard" in markup:
        check_inline_keyboard(markup["inline_keyboard"])
    elif inline_only:
        raise bad("inline keyboard expected")
    elif "keyboard" in markup:
        _check_reply_keyboard(markup["keyboard"])
    elif not (markup.get("remove_keyboard") or markup.get("force_reply")):
        raise bad("can't parse reply keyboard markup JSON object")
    return markup


def check_inline_keyboard(rows: Any) -> None:
    """Telegram's inline keyboard rules: one action per button, 64-byte callback data, etc."""
    if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
        raise bad(
            'can\'t parse inline keyboard button: field "inline_keyboard" must be an '
            "Array of Arrays"
        )
    total = 0
    for row in rows:
        if len(row) > MAX_ROW:
            raise bad("too many buttons in a row")
        total += len(row)
        for b in row:
            if not isinstance(b, dict):
                raise bad(
                    "can't parse inline keyboard button: InlineKeyboardButton must be an Object"
                )
            if not str(b.get("text") or "").strip():
                raise bad("can't parse inline keyboard button: Text must be non-empty")
            actions = [k for k in _ACTIONS if b.get(k) is not None]
            if not actions:
                raise bad(
                    "can't parse inline keyboard button: Text buttons are unallowed in "
                    "the inline keyboard"
                )
            if len(actions) > 1:
                raise bad(
                    "can't parse inline keyboard button: exactly one of the optional "
                    "fields must be used"
                )
            if "callback_data" in actions:
                data = b["callback_data"]
                if not isinstance(data, str) or not 1 <= len(data.encode()) <= MAX_CALLBACK_DATA:
                    raise bad("BUTTON_DATA_INVALID")
            if "url" in actions and not _URL_RE.match(str(b["url"])):
                raise bad("BUTTON_URL_INVALID")
            if "web_app" in actions:
                check_web_app(b["web_app"], "inline keyboard button")
    if total > MAX_BUTTONS:
        raise bad("too many buttons")


def _check_reply_keyboard(rows: Any) -> None:
    if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
        raise bad("can't parse reply keyboard markup JSON object")
    for row in rows:
        for b in row:
            text = b if isinstance(b, str) else b.get("text") if isinstance(b, dict) else None
            if not isinstance(text, str) or not text.strip():
                raise bad("can't parse keyboard button: Text must be non-empty")
            if isinstance(b, dict) and b.get("web_app") is not None:
                check_web_app(b["web_app"], "keyboard button")


def check_web_app_url(url: Any, what: str) -> str:
    """Telegram opens Mini Apps over HTTPS only. The emulator lives on loopback, so it also
    takes plain HTTP to 127.0.0.1/localhost; any other host must be HTTPS, as in Telegram."""
    if not isinstance(url, str) or not url:
        raise bad(f"{what} Web App URL is empty")
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        host = None
    if not host or parts.scheme.lower() not in ("http", "https"):
        raise bad(f"{what} Web App URL '{url}' is invalid: Wrong HTTP URL")
    if parts.scheme.lower() == "http" and host not in LOOPBACK_HOSTS:
        raise bad(f"{what} Web App URL '{url}' is invalid: Only HTTPS links are allowed")
    return url


def check_web_app(web_app: Any, what: str) -> str:
    """A WebAppInfo object (``{"url": ...}``); returns its URL."""
    if not isinstance(web_app, dict):
        raise bad(f"can't parse {what}: WebAppInfo must be an Object")
    return check_web_app_url(web_app.get("url"), what)


def check_menu_button(button: Any) -> dict[str, Any]:
    """setChatMenuButton: ``default``, ``commands`` or ``web_app`` with a text and an URL."""
    if button is None:
        return {"type": "default"}
    if not isinstance(button, dict):
        raise bad("can't parse menu button JSON object")
    kind = button.get("type")
    if kind in ("default", "commands"):
        return {"type": kind}
    if kind != "web_app":
        raise bad("BUTTON_TYPE_INVALID")
    text = button.get("text")
    if not isinstance(text, str) or not text.strip():
        raise bad("BUTTON_TEXT_INVALID")
    url = check_web_app(button.get("web_app"), "menu button")
    return {"type": "web_app", "text": text, "web_app": {"url": url}}


def markup_for_message(markup: dict[str, Any] | None) -> dict[str, Any] | None:
    """Only inline keyboards are echoed back inside a Message object."""
    if markup and "inline_keyboard" in markup:
        return {"inline_keyboard": markup["inline_keyboard"]}
    return None


def check_invoice(p: Params) -> dict[str, Any]:
    """sendInvoice / createInvoiceLink fields; Stars (XTR) have their own stricter rules."""
    title = p.string("title") or ""
    description = p.string("description") or ""
    payload = p.string("payload") or ""
    currency = p.string("currency") or ""
    if not 1 <= len(title) <= 32:
        raise bad("INVOICE_TITLE_INVALID" if title else "title is empty")
    if not 1 <= len(description) <= 255:
        raise bad("INVOICE_DESCRIPTION_INVALID" if description else "description is empty")
    if not 1 <= len(payload.encode()) <= 128:
        raise bad("INVOICE_PAYLOAD_INVALID")
    if not _CURRENCY_RE.match(currency):
        raise bad("CURRENCY_INVALID")
    prices = p.json("prices")
    if not isinstance(prices, list) or not prices:
        raise bad(
            "can't parse prices JSON object"
            if prices is None
            else "PRICES_EMPTY"
            if isinstance(prices, list)
            else "can't parse prices JSON object"
        )
    for price in prices:
        if (
            not isinstance(price, dict)
            or not str(price.get("label") or "")
            or not isinstance(price.get("amount"), int)
            or isinstance(price["amount"], bool)
        ):
            raise bad("can't parse prices JSON object")
    total = sum(int(x["amount"]) for x in prices)
    token = p.string("provider_token") or ""
    flexible = p.flag("is_flexible")
    if currency == "XTR":
        if len(prices) != 1:
            raise bad("CURRENCY_TOTAL_AMOUNT_INVALID: Stars invoices must have exactly one price")
        if token:
            raise bad("PAYMENT_PROVIDER_INVALID: provider_token must be empty for Stars")
        if flexible or p.flag("need_shipping_address"):
            raise bad("INVOICE_FLEXIBLE_NOT_ALLOWED: Stars invoices can't require shipping")
    elif not token:
        raise bad("PAYMENT_PROVIDER_INVALID")
    if total <= 0:
        raise bad("CURRENCY_TOTAL_AMOUNT_INVALID")
    return {
        "title": title,
        "description": description,
        "payload": payload,
        "currency": currency,
        "prices": prices,
        "total_amount": total,
        "provider_token": token,
        "is_flexible": flexible,
        "need_shipping_address": p.flag("need_shipping_address"),
        "start_parameter": p.string("start_parameter") or "",
        "need_name": p.flag("need_name"),
        "need_phone_number": p.flag("need_phone_number"),
        "need_email": p.flag("need_email"),
    }


def check_commands(commands: Any) -> list[dict[str, str]]:
    """setMyCommands: 1-32 chars of a-z0-9_ and a 1-256 char description, at most 100."""
    if not isinstance(commands, list) or len(commands) > 100:
        raise bad("can't parse commands JSON object")
    out: list[dict[str, str]] = []
    for c in commands:
        if not isinstance(c, dict):
            raise bad("can't parse BotCommand JSON object")
        name, desc = str(c.get("command") or ""), str(c.get("description") or "")
        if not _CMD_RE.match(name):
            raise bad("BOT_COMMAND_INVALID")
        if not 1 <= len(desc) <= 256:
            raise bad("BOT_COMMAND_DESCRIPTION_INVALID")
        out.append({"command": name, "description": desc})
    return out


def check_secret_token(secret: str | None) -> None:
    if secret is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", secret):
        raise bad("secret token contains unallowed characters")


def require(cond: bool, description: str) -> None:
    """Raise a 400 with ``description`` unless ``cond`` holds."""
    if not cond:
        raise bad(description)


__all__ = [
    "ApiError",
    "Params",
    "check_commands",
    "check_inline_keyboard",
    "check_invoice",
    "check_menu_button",
    "check_reply_markup",
    "check_secret_token",
    "check_text",
    "markup_for_message",
    "require",
]
