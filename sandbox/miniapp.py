"""The Telegram client's part for Mini Apps: launch URLs with signed initData, the payment form
behind ``Telegram.WebApp.openInvoice``, and the stand-in ``telegram-web-app.js``.

Telegram opens a Mini App by loading its URL with launch parameters in the fragment::

    https://shop.example/app?tgWebAppStartParam=p_7#tgWebAppData=<initData, URL-encoded>
        &tgWebAppVersion=9.1&tgWebAppPlatform=tdesktop&tgWebAppThemeParams=<JSON, URL-encoded>
        &tgWebAppStartParam=p_7

``initData`` is a query string (``query_id``, ``user`` as JSON, ``auth_date``, ``start_param``,
``chat_type``/``chat_instance``...) signed with ``hash`` = HMAC-SHA256(data-check-string) keyed
with HMAC-SHA256("WebAppData", bot token), so ``aiogram.utils.web_app.safe_parse_webapp_init_data``
accepts it. No ``signature`` field: that Ed25519 signature is made with Telegram's own private
key, which no emulator has, and leaving it out keeps the data-check-string the same whether a
checker counts ``signature`` in it or not.

The emulator also plays the client around the page: ``/miniapp/client#<launch URL>`` frames the
Mini App as Telegram Web does and speaks Telegram's postMessage protocol with the page's
``telegram-web-app.js`` (``/telegram-web-app.js`` here is a stand-in for Telegram's): it draws
the header with Back/Close, the Main button, popups and the payment form. ``openInvoice`` opens
that form, which pays through ``/miniapp/invoice`` and ``/miniapp/pay``: the bot gets
``pre_checkout_query`` (and ``shipping_query`` for flexible invoices) and, once it agrees in
time, ``successful_payment`` in the private chat. ``/miniapp/open?user=<id>`` is the way in for
a person: a freshly signed launch from the bot's menu button, in that client.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit, urlunsplit

from aiohttp import web

from .models import PaymentResult, SandboxError
from .state import BotState, new_id

if TYPE_CHECKING:
    from .core import Sandbox
    from .users import SandboxUser

Via = Literal["menu", "button", "keyboard", "link", "inline"]
WEB_APP_VERSION = "9.1"
START_PARAM_RE = re.compile(r"^[A-Za-z0-9_-]{0,512}$")
_INVOICE_PATH_RE = re.compile(r"^/(\$|invoice/)([A-Za-z0-9_=-]+)$")
_APP_LINK_RE = re.compile(r"^/(?P<bot>[A-Za-z0-9_]{4,32})(?:/(?P<app>[A-Za-z0-9_]{3,64}))?$")
STATIC = Path(__file__).with_name("static")
_FILES = {  # served by the emulator: name -> content type
    "telegram-web-app.js": "application/javascript",
    "client.html": "text/html",
    "client.js": "application/javascript",
    "client.css": "text/css",
}

# Telegram Desktop's default day and night themes (the keys every current client sends).
THEMES: dict[str, dict[str, str]] = {
    "light": {
        "bg_color": "#ffffff",
        "text_color": "#000000",
        "hint_color": "#999999",
        "link_color": "#2481cc",
        "button_color": "#2481cc",
        "button_text_color": "#ffffff",
        "secondary_bg_color": "#f1f1f4",
        "header_bg_color": "#ffffff",
        "bottom_bar_bg_color": "#ffffff",
        "accent_text_color": "#2481cc",
        "section_bg_color": "#ffffff",
        "section_header_text_color": "#3a95d5",
        "section_separator_color": "#e7e7e7",
        "subtitle_text_color": "#999999",
        "destructive_text_color": "#d14e4e",
    },
    "dark": {
        "bg_color": "#17212b",
        "text_color": "#f5f5f5",
        "hint_color": "#708499",
        "link_color": "#6ab3f3",
        "button_color": "#5288c1",
        "button_text_color": "#ffffff",
        "secondary_bg_color": "#232e3c",
        "header_bg_color": "#17212b",
        "bottom_bar_bg_color": "#17212b",
        "accent_text_color": "#6ab2f2",
        "section_bg_color": "#17212b",
        "section_header_text_color": "#6ab3f3",
        "section_separator_color": "#111921",
        "subtitle_text_color": "#708499",
        "destructive_text_color": "#ec3942",
    },
}
_ZERO_DECIMAL = {"XTR", "JPY", "KRW", "VND", "CLP", "ISK", "UGX", "PYG", "XAF", "XOF"}


# ---------------------------------------------------------------------- initData
def _secret_key(bot_token: str) -> bytes:
    return hmac.new(b"WebAppData", bot_token.encode(), hashlib.sha256).digest()


def _data_check_string(fields: dict[str, str]) -> str:
    return "\n".join(f"{k}={v}" for k, v in sorted(fields.items()) if k != "hash")


def sign_init_data(bot_token: str, fields: dict[str, str]) -> str:
    """``fields`` as Telegram's initData query string, with its ``hash``."""
    digest = hmac.new(
        _secret_key(bot_token), _data_check_string(fields).encode(), hashlib.sha256
    ).hexdigest()
    return urlencode({**fields, "hash": digest}, quote_via=quote)


def verify_init_data(bot_token: str, init_data: str) -> dict[str, str] | None:
    """The fields of ``init_data`` when its hash is this bot's, else None (any age)."""
    try:
        fields = dict(parse_qsl(init_data, keep_blank_values=True, strict_parsing=True))
    except ValueError:
        return None
    given = fields.get("hash", "")
    expected = hmac.new(
        _secret_key(bot_token), _data_check_string(fields).encode(), hashlib.sha256
    ).hexdigest()
    return fields if given and hmac.compare_digest(given, expected) else None


def user_json(user: SandboxUser) -> str:
    """The ``user`` field: WebAppUser as compact JSON (non-ASCII kept, as clients send it)."""
    data: dict[str, Any] = {"id": user.user_id, "first_name": user.first_name}
    if user.last_name:
        data["last_name"] = user.last_name
    if user.username:
        data["username"] = user.username
    if user.language_code:
        data["language_code"] = user.language_code
    data["allows_write_to_pm"] = True
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def init_data_for(
    user: SandboxUser,
    via: Via = "menu",
    start_param: str | None = None,
    chat_type: str = "sender",
    auth_date: int | None = None,
) -> str:
    """Signed initData as the client builds it for ``user`` opening the bot's Mini App."""
    fields: dict[str, str] = {}
    if via != "keyboard":  # a reply-keyboard Mini App answers with sendData, not a query
        fields["query_id"] = new_id("AAH", 12)
    fields["user"] = user_json(user)
    if via in ("link", "inline"):
        fields["chat_instance"] = str(
            int(hashlib.sha256(f"{user.bot.token}:{user.user_id}".encode()).hexdigest()[:15], 16)
        )
        fields["chat_type"] = chat_type
    if start_param:
        fields["start_param"] = start_param
    fields["auth_date"] = str(int(time.time()) if auth_date is None else auth_date)
    return sign_init_data(user.bot.token, fields)


# ---------------------------------------------------------------------- launch URLs
def _append_hash(url: str, add: str) -> str:
    """telegram-web-app.js's urlAppendHashParams: keep a page's own fragment."""
    if "#" not in url:
        return f"{url}#{add}"
    current = url.split("#", 1)[1]
    if "=" in current or "?" in current:
        return f"{url}&{add}"
    return f"{url}?{add}" if current else f"{url}{add}"


def launch_url(
    url: str,
    init_data: str,
    theme: str = "light",
    platform: str = "tdesktop",
    version: str = WEB_APP_VERSION,
    start_param: str | None = None,
) -> str:
    """``url`` with the launch parameters a Telegram client adds."""
    if theme not in THEMES:
        raise SandboxError(f"unknown theme {theme!r}: one of {sorted(THEMES)}")
    if start_param:  # also as a GET parameter, so the server can render the right page
        parts = urlsplit(url)
        query = "&".join(filter(None, [parts.query, f"tgWebAppStartParam={quote(start_param)}"]))
        url = urlunsplit(parts._replace(query=query))
    params = {
        "tgWebAppData": init_data,
        "tgWebAppVersion": version,
        "tgWebAppPlatform": platform,
        "tgWebAppThemeParams": json.dumps(THEMES[theme], separators=(",", ":")),
    }
    if start_param:
        params["tgWebAppStartParam"] = start_param
    return _append_hash(url, urlencode(params, quote_via=quote, safe=""))


def launch_params(url: str) -> dict[str, str]:
    """The ``tgWebApp*`` parameters in a launch URL's fragment (decoded)."""
    fragment = url.split("#", 1)[1] if "#" in url else ""
    if "?" in fragment and "=" not in fragment.split("?", 1)[0]:
        fragment = fragment.split("?", 1)[1]
    return {unquote(k): unquote(v) for k, _, v in (p.partition("=") for p in fragment.split("&"))}


def init_data_of(url: str) -> str:
    """The initData string a page at launch URL ``url`` reads as ``Telegram.WebApp.initData``."""
    data = launch_params(url).get("tgWebAppData")
    if not data:
        raise SandboxError(f"no tgWebAppData in {url!r}")
    return data


def client_url(emulator_url: str, launch: str) -> str:
    """The emulator's Telegram client page showing the Mini App at launch URL ``launch``."""
    return f"{emulator_url}/miniapp/client#{quote(launch, safe='')}"


def _web_app_button(user: SandboxUser, text: str | None) -> tuple[str, Via]:
    """The URL of a web_app button: newest inline keyboard first, then the reply keyboard."""
    for msg in reversed(user.bot_messages):
        for row in msg.inline_buttons:
            for b in row:
                if b.get("web_app") and (text is None or b.get("text") == text):
                    return str(b["web_app"]["url"]), "button"
    for row in (user.chat.reply_keyboard or {}).get("keyboard", []):
        for b in row:
            if isinstance(b, dict) and b.get("web_app") and (text is None or b["text"] == text):
                return str(b["web_app"]["url"]), "keyboard"
    raise SandboxError(f"no web_app button {text!r} in the chat\n{user.transcript()}")


def open_mini_app(
    user: SandboxUser,
    via: Via = "menu",
    start_param: str | None = None,
    button_text: str | None = None,
    theme: str = "light",
    platform: str = "tdesktop",
) -> str:
    """The URL the client loads when ``user`` opens the bot's Mini App ``via``:

    - ``menu``: the chat's menu button (``setChatMenuButton`` with ``web_app``);
    - ``button``: a ``web_app`` button (inline keyboard, or reply keyboard: no query_id);
    - ``link``: ``t.me/<bot>?startapp=<start_param>``, the bot's main Mini App, which the
      emulator takes to be the menu button's URL (BotFather's setting in Telegram);
    - ``inline``: the ``web_app`` button above the bot's newest inline query answer.
    """
    if start_param is not None and not START_PARAM_RE.match(start_param):
        raise SandboxError(f"start_param {start_param!r}: 0-512 of A-Z a-z 0-9 _ -")
    if via in ("menu", "link"):
        button = user.bot.menu_button_for(user.user_id)
        if button.get("type") != "web_app":
            raise SandboxError(f"the bot set no web_app menu button (it is {button})")
        url = str(button["web_app"]["url"])
    elif via == "inline":
        answer = user.last_inline_answer or {}
        results_button = answer.get("button") or {}
        if not results_button.get("web_app"):
            raise SandboxError("the bot's last inline answer has no web_app button")
        url = str(results_button["web_app"]["url"])
    elif via in ("button", "keyboard"):
        url, via = _web_app_button(user, button_text)
    else:
        raise SandboxError(f"unknown way to open a Mini App: {via!r}")
    init_data = init_data_for(user, via, start_param)
    user.story.append(f"{user.first_name} ▸ opens the Mini App ({via})\n")
    return launch_url(url, init_data, theme, platform, start_param=start_param)


def open_link(user: SandboxUser, link: str, theme: str = "light") -> str:
    """Follow a ``t.me/<bot>?startapp=...`` (or ``t.me/<bot>/<app>?startapp=...``) link."""
    parts = urlsplit(link if "://" in link else f"https://{link}")
    match = _APP_LINK_RE.match(parts.path)
    if parts.hostname not in ("t.me", "telegram.me") or match is None:
        raise SandboxError(f"{link!r} is not a Mini App link")
    if match["bot"].lower() != user.bot.username.lower():
        raise SandboxError(f"{link!r} opens @{match['bot']}, not @{user.bot.username}")
    query = dict(parse_qsl(parts.query))
    if "startapp" not in query and match["app"] is None:
        raise SandboxError(f"{link!r} opens the chat, not the Mini App (no startapp)")
    return open_mini_app(user, "link", query.get("startapp") or None, theme=theme)


# ---------------------------------------------------------------------- invoice links
def invoice_slug(url: str) -> str:
    """The slug of ``https://t.me/$<slug>`` or ``https://t.me/invoice/<slug>``."""
    parts = urlsplit(url)
    match = _INVOICE_PATH_RE.match(parts.path)
    if parts.scheme not in ("http", "https") or parts.hostname not in ("t.me", "telegram.me"):
        match = None
    if match is None:
        raise SandboxError(f"invoice URL {url!r} is invalid")
    return match.group(2)


def resolve_invoice(bot: BotState, url: str) -> dict[str, Any]:
    """The invoice ``createInvoiceLink`` made for ``url`` (SandboxError when unknown)."""
    invoice = bot.invoice_links.get(invoice_slug(url))
    if invoice is None:
        raise SandboxError(f"no invoice link {url!r} for @{bot.username}")
    return invoice


async def pay_invoice_link(
    user: SandboxUser,
    url: str,
    shipping_option_id: str | None = None,
    shipping_address: dict[str, Any] | None = None,
) -> PaymentResult:
    """Pay an invoice link as ``user`` (what openInvoice's "Pay" does, without a browser)."""
    from .payments import run_payment

    invoice = resolve_invoice(user.bot, url)
    result = await run_payment(user, invoice, shipping_option_id, shipping_address)
    outcome = "paid" if result.ok else f"payment failed: {result.error}"
    user.story.append(f"{user.first_name} ▸ pays the invoice link ({outcome})\n")
    user._tell(result.messages, 0)
    return result


def format_amount(amount: int, currency: str) -> str:
    if currency == "XTR":
        return f"★ {amount}"  # U+2605: in common fonts, unlike the emoji
    if currency in _ZERO_DECIMAL:
        return f"{amount} {currency}"
    return f"{amount // 100}.{amount % 100:02d} {currency}"


@dataclass(eq=False)
class InvoiceForm:
    """One opened payment form: paying it twice (a double click) charges once."""

    form_id: str
    bot: BotState
    user_id: int
    url: str
    invoice: dict[str, Any]
    status: str = "open"  # open -> paying -> paid | failed; open -> cancelled
    payment: asyncio.Task[PaymentResult] | None = None


class MiniAppClient:
    """The emulator's HTTP side for Mini Apps: the JS, launch redirects and payment forms."""

    def __init__(self, sb: Sandbox) -> None:
        self.sb = sb
        self.forms: dict[str, InvoiceForm] = {}

    def routes(self, app: web.Application) -> None:
        app.router.add_get("/telegram-web-app.js", self.static)
        app.router.add_get("/miniapp/client", self.static)
        app.router.add_get("/miniapp/{name:client\\.(?:js|css)}", self.static)
        app.router.add_get("/miniapp/open", self.open)
        for action in ("session", "invoice", "pay", "cancel"):
            app.router.add_post(f"/miniapp/{action}", getattr(self, action))
            app.router.add_route("OPTIONS", f"/miniapp/{action}", self.preflight)

    # -------------------------------------------------------------- pages
    async def static(self, request: web.Request) -> web.StreamResponse:
        name = request.match_info.get("name") or (
            "client.html" if request.path == "/miniapp/client" else "telegram-web-app.js"
        )
        return web.Response(
            body=(STATIC / name).read_bytes(),
            content_type=_FILES[name],
            charset="utf-8",
            headers={
                "Cache-Control": "no-cache",
                "Access-Control-Allow-Origin": "*",
                "Cross-Origin-Resource-Policy": "cross-origin",
                # the client page: its own files, and any Mini App in its frame
                "Content-Security-Policy": "default-src 'self'; frame-src http: https:; "
                "img-src 'self' data:; base-uri 'none'; form-action 'none'",
            },
        )

    async def open(self, request: web.Request) -> web.Response:
        """``/miniapp/open?user=<id>[&start_param=..&theme=dark&lang=zh&first_name=..]``:
        the emulator's Telegram client showing the bot's menu-button Mini App, signed for
        that user just now (a person opens the demo shop with this)."""
        q = request.query
        try:
            user_id = int(q.get("user", ""))
            bot = self.sb.bot(q.get("bot_token"))
            user = self.sb.users.get((bot.token, user_id)) or self.sb.user(
                user_id,
                first_name=q.get("first_name", "Shopper"),
                language_code=q.get("lang", "en"),
                bot_token=bot.token,
            )
            if q.get("lang"):  # the person's Telegram language, as later updates carry it
                user.language_code = user.user_dict["language_code"] = q["lang"]
            url = open_mini_app(
                user, "menu", q.get("start_param") or None, theme=q.get("theme", "light")
            )
        except (ValueError, SandboxError) as e:
            return web.Response(status=400, text=f"Can't open the Mini App: {e}\n")
        # a plain header: aiohttp's HTTPFound would re-normalise the encoded fragment
        location = client_url(self.sb.base_url, url)
        return web.Response(
            status=302, headers={"Location": location, "Cache-Control": "no-store"}
        )

    # -------------------------------------------------------------- payment form API
    async def preflight(self, request: web.Request) -> web.Response:
        return web.Response(status=204, headers=_cors())

    async def _body(self, request: web.Request) -> tuple[dict[str, Any], SandboxUser]:
        """The JSON body and the user its ``init_data`` was signed for (any bot here)."""
        try:
            body = json.loads(await request.text())
        except ValueError:
            body = None
        if not isinstance(body, dict):
            raise _refuse("the body must be a JSON object")
        init_data = str(body.get("init_data") or "")
        for bot in self.sb.bots.values():
            fields = verify_init_data(bot.token, init_data)
            if fields is not None:
                break
        else:
            raise _refuse("initData is not signed by any bot of this Telegram", 401)
        try:
            who = json.loads(fields["user"])
            user = self.sb.users.get((bot.token, int(who["id"]))) or self.sb.user(
                int(who["id"]),
                first_name=str(who.get("first_name") or "User"),
                language_code=who.get("language_code"),
                bot_token=bot.token,
            )
        except (KeyError, ValueError, TypeError):
            raise _refuse("initData has no user", 401) from None
        return body, user

    def _form(self, body: dict[str, Any], user: SandboxUser) -> InvoiceForm:
        form = self.forms.get(str(body.get("form_id") or ""))
        if form is None or form.user_id != user.user_id or form.bot is not user.bot:
            raise _refuse("no such payment form", 404)
        return form

    async def session(self, request: web.Request) -> web.Response:
        """Who the client shows: the bot whose token signed the launch, and the user."""
        _, user = await self._body(request)
        return _json(
            {
                "ok": True,
                "bot_name": user.bot.first_name,
                "bot_username": user.bot.username,
                "user_id": user.user_id,
            }
        )

    async def invoice(self, request: web.Request) -> web.Response:
        """Open the payment form of an invoice link (``url`` or its ``slug``)."""
        body, user = await self._body(request)
        url = str(body.get("url") or f"https://t.me/${body.get('slug') or ''}")
        try:
            invoice = resolve_invoice(user.bot, url)
        except SandboxError as e:
            raise _refuse(str(e), 404) from None
        form = InvoiceForm(new_id("form", 12), user.bot, user.user_id, url, invoice)
        self.forms[form.form_id] = form
        currency = str(invoice["currency"])
        prices = [
            {**p, "text": format_amount(int(p["amount"]), currency)} for p in invoice["prices"]
        ]
        return _json(
            {
                "ok": True,
                "form_id": form.form_id,
                "title": invoice["title"],
                "description": invoice["description"],
                "currency": currency,
                "prices": prices,
                "total_amount": invoice["total_amount"],
                "total_text": format_amount(int(invoice["total_amount"]), currency),
                "is_flexible": invoice["is_flexible"],
            }
        )

    async def pay(self, request: web.Request) -> web.Response:
        """Pay the form: the bot's pre-checkout answer decides ``paid`` or ``failed``. A second
        "Pay" for the same form (a double tap) waits for the first and charges nothing."""
        body, user = await self._body(request)
        form = self._form(body, user)
        if form.status == "cancelled":
            return _json({"ok": True, "status": "cancelled"})
        if form.payment is None:
            form.status = "paying"
            option = body.get("shipping_option_id")
            form.payment = asyncio.create_task(
                self._run(user, form, str(option) if option else None)
            )
        result = await asyncio.shield(form.payment)
        return _json({"ok": True, "status": form.status, "error": result.error})

    @staticmethod
    async def _run(user: SandboxUser, form: InvoiceForm, option: str | None) -> PaymentResult:
        from .payments import run_payment

        try:
            result = await run_payment(user, form.invoice, option)
        except SandboxError as e:
            result = PaymentResult(ok=False, error=str(e))
        form.status = "paid" if result.ok else "failed"
        user.story.append(f"{user.first_name} ▸ pays in the Mini App ({form.status})\n")
        user._tell(result.messages, 0)
        return result

    async def cancel(self, request: web.Request) -> web.Response:
        body, user = await self._body(request)
        form = self._form(body, user)
        if form.status == "open":
            form.status = "cancelled"
        return _json({"ok": True, "status": form.status})


def _cors() -> dict[str, str]:
    # The page lives on the shop's origin; initData in the body is the only authority.
    return {
        "Access-Control-Allow-Origin": "*",
        "Access-Control-Allow-Methods": "POST, OPTIONS",
        "Access-Control-Allow-Headers": "Content-Type",
        "Access-Control-Max-Age": "600",
    }


def _json(data: dict[str, Any], status: int = 200) -> web.Response:
    return web.json_response(data, status=status, headers=_cors())


def _refuse(description: str, status: int = 400) -> web.HTTPException:
    classes: dict[int, type[web.HTTPException]] = {
        400: web.HTTPBadRequest,
        401: web.HTTPUnauthorized,
        404: web.HTTPNotFound,
    }
    return classes.get(status, web.HTTPBadRequest)(
        text=json.dumps({"ok": False, "error": description}),
        content_type="application/json",
        headers=_cors(),
    )
