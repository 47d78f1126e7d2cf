"""What the storefront needs to know besides the shop's services, built by bot/runtime."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

TELEGRAM_ORIGINS = ("https://web.telegram.org", "https://*.telegram.org")


@dataclass(frozen=True, slots=True)
class StorefrontConfig:
    """`bot_token` checks initData's HMAC; `public_url` is the base the Telegram client opens
    (the entry page is `{public_url}/app/`); `bot_username` makes share links."""

    bot_token: str
    public_url: str
    bot_username: str
    telegram_js_url: str = "https://telegram.org/js/telegram-web-app.js"
    init_data_max_age: int = 86400  # seconds an initData stays good after auth_date
    rate: float = 10.0  # API calls per second per shopper
    burst: int = 40
    default_locale: str = "en"

    @property
    def entry_url(self) -> str:
        return f"{self.public_url}/app/"

    @property
    def js_origin(self) -> str:
        parts = urlsplit(self.telegram_js_url)
        return f"{parts.scheme}://{parts.netloc}"

    def share_link(self, product_id: int) -> str:
        """A link that opens the Mini App on the product (the bot's main Mini App)."""
        return f"https://t.me/{self.bot_username}?startapp=p_{product_id}"

    def content_security_policy(self) -> str:
        """Scripts only from here and Telegram's script host, no inline code, no plug-ins;
        pages may be framed only by Telegram's web clients (or the sandbox's client)."""
        frames = " ".join(dict.fromkeys([*TELEGRAM_ORIGINS, self.js_origin]))
        scripts = " ".join(dict.fromkeys(["'self'", self.js_origin]))
        return "; ".join(
            [
                "default-src 'none'",
                f"script-src {scripts}",
                "style-src 'self'",
                "img-src 'self' https: data:",
                "connect-src 'self'",
                "base-uri 'none'",
                "form-action 'none'",
                "object-src 'none'",
                f"frame-ancestors 'self' {frames}",
            ]
        )
