"""One Settings object, read from the environment and `.env`.

Flat names for the few everybody sets (BOT_TOKEN, ADMIN_IDS, DATABASE_URL, REDIS_URL) and
nested sections for the rest, e.g. PAYMENTS__CURRENCY=EUR or WEBHOOK__URL=https://...
"""

from __future__ import annotations

import ipaddress
import re
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

_TOKEN_RE = re.compile(r"^\d{3,}:[A-Za-z0-9_-]{5,}$")
_SECRET_RE = re.compile(r"^[A-Za-z0-9_-]{1,256}$")


class PaymentSettings(BaseModel):
    currency: str = "USD"
    provider_token: SecretStr | None = None
    use_stars: bool = False  # Telegram Stars (XTR): no provider token, one price per invoice
    invoice_secret: SecretStr | None = None  # HMAC key for invoice payloads; defaults to token
    # Offline payment for goods that ship; staff mark such orders paid (/paid 12 or a button).
    cash_on_delivery: bool = False
    bank_transfer: str = Field(default="", max_length=1000)  # the instructions; set = offered

    @field_validator("currency")
    @classmethod
    def _currency(cls, value: str) -> str:
        value = value.strip().upper()
        if not re.fullmatch(r"[A-Z]{3}", value):
            raise ValueError("must be a 3-letter ISO 4217 code such as USD or EUR")
        return value


class WebhookSettings(BaseModel):
    url: str | None = None  # public https URL Telegram posts to; unset means long polling
    secret: SecretStr | None = None
    host: str = "0.0.0.0"
    port: int = Field(default=8080, ge=1, le=65535)
    path: str = "/telegram/webhook"
    max_connections: int = Field(default=40, ge=1, le=100)

    @field_validator("secret")
    @classmethod
    def _secret(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not _SECRET_RE.fullmatch(value.get_secret_value()):
            raise ValueError("must be 1-256 characters of A-Z, a-z, 0-9, _ and -")
        return value


class OpsSettings(BaseModel):
    """/healthz, /readyz and /metrics. Webhook mode serves them on the webhook port too;
    polling mode serves them only when OPS__PORT is set (0 picks a free port)."""

    host: str = "0.0.0.0"
    port: int | None = Field(default=None, ge=0, le=65535)


def _loopback(netloc: str) -> bool:
    """True for a loopback host (port and user info ignored): 127.0.0.0/8, ::1, localhost."""
    host = netloc.rpartition("@")[2]
    if host.startswith("["):
        host = host[1:].partition("]")[0]
    elif host.count(":") == 1:
        host = host.partition(":")[0]
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class WebSettings(BaseModel):
    """The Mini App storefront (web/), off until WEB__PUBLIC_URL is set.

    Webhook mode serves it on the webhook server; polling mode on the ops server, which then
    starts even without OPS__PORT, on WEB__PORT (OPS__PORT wins when both are set)."""

    public_url: str | None = None  # https base URL Telegram opens; the entry page is <url>/app/
    telegram_js_url: str = "https://telegram.org/js/telegram-web-app.js"
    init_data_max_age: int = Field(default=86400, ge=60, le=30 * 86400)  # seconds
    port: int = Field(default=8080, ge=0, le=65535)  # polling mode without OPS__PORT
    rate: float = Field(default=10.0, gt=0)  # API calls per second per shopper, sustained
    burst: int = Field(default=40, ge=1)

    @field_validator("public_url")
    @classmethod
    def _public_url(cls, value: str | None) -> str | None:
        if value in (None, ""):
            return None
        match = re.fullmatch(r"(https?)://([^\s/?#]+)(/[^\s?#]*)?", value)
        if not match:
            raise ValueError("must be an http(s) URL such as https://shop.example.com")
        if match.group(1) == "http" and not _loopback(match.group(2)):
            # Telegram opens Mini Apps over HTTPS only; plain http is for a local sandbox
            raise ValueError(
                "must start with https:// (Telegram opens Mini Apps over HTTPS only; "
                "http:// is allowed for 127.0.0.1, ::1 or localhost)"
            )
        return value.rstrip("/")

    @field_validator("telegram_js_url")
    @classmethod
    def _js_url(cls, value: str) -> str:
        if not re.fullmatch(r"https?://[^\s/?#]+/\S*", value):
            raise ValueError("must be an http(s) URL of telegram-web-app.js")
        return value


class ShopSettings(BaseModel):
    name: str = "Kiosk"
    default_locale: Literal["en", "zh"] = "en"
    timezone: str = "UTC"


class SupportSettings(BaseModel):
    # A forum supergroup where each shopper gets a topic (the bot must be an admin with
    # "Manage topics"); unset: shoppers' messages go to every staff member's private chat.
    chat_id: int | None = Field(default=None, lt=0)
    cache_seconds: float = Field(default=5.0, gt=0, le=300)  # block list / maintenance cache
    blocked_notice_minutes: int = Field(default=60, ge=1)  # tell a blocked shopper once per


class ThrottleSettings(BaseModel):
    rate: float = Field(default=4.0, gt=0)  # updates per second per user, sustained
    burst: int = Field(default=10, ge=1)


class SchedulerSettings(BaseModel):
    enabled: bool = True
    leader_ttl: float = Field(default=15.0, ge=1.0)  # seconds a dead leader blocks takeover
    misfire_grace_time: int = Field(default=300, ge=1)  # late fires still run within this
    report_hour: int = Field(default=21, ge=0, le=23)  # daily sales report, shop time zone
    low_stock_digest_hour: int = Field(default=9, ge=0, le=23)  # daily low-stock digest


class CampaignSettings(BaseModel):
    rate_per_sec: float = Field(default=25.0, gt=0)  # Telegram allows about 30 in all
    per_chat_interval: float = Field(default=1.0, ge=0)
    max_attempts: int = Field(default=3, ge=1, le=20)  # for errors other than 429/403
    progress_interval: float = Field(default=3.0, ge=0.5)
    max_in_flight: int = Field(default=64, ge=1, le=1000)
    due_check_seconds: int = Field(default=5, ge=1)
    abandoned_cart_hours: float = Field(default=24.0, gt=0)  # cart untouched this long: remind


class ShippingOptionSettings(BaseModel):
    id: str = Field(pattern=r"^[a-z0-9_-]{1,32}$")
    title_en: str = Field(min_length=1, max_length=64)
    title_zh: str = ""
    price: int = Field(ge=0)  # minor units of PAYMENTS__CURRENCY


def _default_shipping() -> list[ShippingOptionSettings]:
    return [
        ShippingOptionSettings(
            id="standard", title_en="Standard delivery", title_zh="标准配送", price=500
        ),
        ShippingOptionSettings(
            id="express", title_en="Express delivery", title_zh="快递", price=1500
        ),
        ShippingOptionSettings(
            id="pickup", title_en="Pick up at the shop", title_zh="到店自取", price=0
        ),
    ]


class CheckoutSettings(BaseModel):
    reservation_minutes: int = Field(default=15, ge=1, le=24 * 60)  # unpaid orders hold stock
    auto_complete_days: int = Field(default=7, ge=1, le=365)  # after delivery
    shipping: list[ShippingOptionSettings] = Field(default_factory=_default_shipping)
    # Stars price of goods priced in PAYMENTS__CURRENCY: minor units per star, rounded up
    # (a catalogue priced in XTR is charged as is).
    minor_units_per_star: int = Field(default=2, ge=1)
    flexible_invoice: bool = False  # choose shipping in Telegram's payment form (card only)
    # Cash on delivery / bank transfer orders hold their stock this long waiting to be marked
    # paid, then expire like an unpaid invoice.
    offline_reservation_hours: int = Field(default=72, ge=1, le=60 * 24)


class RecsSettings(BaseModel):
    rebuild_minutes: int = Field(default=30, ge=1, le=7 * 24 * 60)  # scheduled incremental rebuild
    flush_interval: float = Field(default=2.0, gt=0)  # seconds events wait in memory at most
    batch_size: int = Field(default=200, ge=1)  # events per bulk insert
    # A rebuild reads only events at least this old (replicas commit ids out of order).
    settle_seconds: float = Field(default=60.0, ge=0)


class LoyaltyTierSettings(BaseModel):
    name: str = Field(min_length=1, max_length=32)
    threshold: int = Field(ge=0)  # spend over the rolling window, minor units
    percent_off: int = Field(default=0, ge=0, le=90)
    free_shipping_over: int | None = Field(default=None, ge=0)  # goods amount, minor units
    extra_points_rate: int = Field(default=0, ge=0, le=1000)  # percent more points earned


def _default_tiers() -> list[LoyaltyTierSettings]:
    return [
        LoyaltyTierSettings(name="Member", threshold=0),
        LoyaltyTierSettings(
            name="Silver",
            threshold=20000,
            percent_off=5,
            free_shipping_over=5000,
            extra_points_rate=25,
        ),
        LoyaltyTierSettings(
            name="Gold",
            threshold=100000,
            percent_off=10,
            free_shipping_over=0,
            extra_points_rate=50,
        ),
    ]


class LoyaltySettings(BaseModel):
    """Points, tiers and referral rewards (LOYALTY__TIERS is a JSON list)."""

    earn_rate: int = Field(default=1, ge=0, le=10000)  # points per whole currency unit
    redeem_cap_share: int = Field(default=50, ge=0, le=100)  # percent of the goods
    point_value: int = Field(default=1, ge=1)  # minor units one point takes off
    expiry_days: int = Field(default=365, ge=1, le=3650)
    window_days: int = Field(default=365, ge=1, le=3650)  # spend counted for tiers
    tiers: list[LoyaltyTierSettings] = Field(default_factory=_default_tiers)
    referrer_reward: int = Field(default=200, ge=0)  # points for the one who invited
    referred_reward: int = Field(default=200, ge=0)  # points for the one invited
    # Points never bring a card total below this (Telegram refuses tiny charges; its
    # currencies.json lists each currency's minimum); Stars totals stay >= 1 Star anyway.
    min_charge: int = Field(default=100, ge=1)

    @field_validator("tiers")
    @classmethod
    def _tiers(cls, value: list[LoyaltyTierSettings]) -> list[LoyaltyTierSettings]:
        if len({t.threshold for t in value}) != len(value):
            raise ValueError("each tier needs its own threshold")
        if len({t.name for t in value}) != len(value):
            raise ValueError("each tier needs its own name")
        return sorted(value, key=lambda t: t.threshold)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env",
        env_nested_delimiter="__",
        extra="ignore",
        case_sensitive=False,
    )

    bot_token: SecretStr | None = None
    admin_ids: Annotated[list[int], NoDecode] = Field(default_factory=list)
    database_url: str = "sqlite://data/kiosk.sqlite3"
    redis_url: str | None = None
    bot_api_base_url: str | None = None  # self-hosted telegram-bot-api server, or the sandbox
    mode: Literal["polling", "webhook"] | None = None  # default: webhook when WEBHOOK__URL set
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"

    payments: PaymentSettings = PaymentSettings()
    webhook: WebhookSettings = WebhookSettings()
    ops: OpsSettings = OpsSettings()
    web: WebSettings = WebSettings()
    shop: ShopSettings = ShopSettings()
    throttle: ThrottleSettings = ThrottleSettings()
    scheduler: SchedulerSettings = SchedulerSettings()
    campaigns: CampaignSettings = CampaignSettings()
    checkout: CheckoutSettings = CheckoutSettings()
    recs: RecsSettings = RecsSettings()
    loyalty: LoyaltySettings = LoyaltySettings()
    support: SupportSettings = SupportSettings()

    @field_validator("bot_token")
    @classmethod
    def _token(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or value.get_secret_value() == "":
            return None
        if not _TOKEN_RE.fullmatch(value.get_secret_value()):
            raise ValueError("must look like 123456789:AA... (as BotFather gives it)")
        return value

    @field_validator("admin_ids", mode="before")
    @classmethod
    def _admin_ids(cls, value: object) -> object:
        if isinstance(value, str):
            parts = [p for p in re.split(r"[,\s]+", value.strip()) if p]
            if not all(re.fullmatch(r"\d{1,15}", p) for p in parts):
                raise ValueError("must be Telegram user ids separated by commas, e.g. 1234,5678")
            return [int(p) for p in parts]
        return value

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str) -> str:
        if not re.match(r"^(sqlite|postgres|postgresql|asyncpg)://", value):
            raise ValueError("must start with sqlite:// or postgres://")
        return value

    @field_validator("redis_url")
    @classmethod
    def _redis_url(cls, value: str | None) -> str | None:
        if value in (None, ""):
            return None
        if not re.match(r"^(redis|rediss|unix)://", value):
            raise ValueError("must start with redis:// or rediss://")
        return value

    @model_validator(mode="after")
    def _consistency(self) -> Settings:
        if self.run_mode == "webhook" and not self.webhook.url:
            raise ValueError("WEBHOOK__URL is required in webhook mode")
        if self.webhook.url and not self.webhook.secret:
            raise ValueError("WEBHOOK__SECRET is required when WEBHOOK__URL is set")
        return self

    @property
    def run_mode(self) -> str:
        return self.mode or ("webhook" if self.webhook.url else "polling")

    @property
    def invoice_secret(self) -> bytes:
        secret = self.payments.invoice_secret or self.bot_token
        return secret.get_secret_value().encode() if secret else b"kiosk-demo"


class ConfigError(Exception):
    """Start-up configuration is wrong; the message names the variable, one line."""


def _env_name(loc: tuple[object, ...]) -> str:
    parts = [str(p) for p in loc if not isinstance(p, int)]
    return "__".join(parts).upper() if parts else "configuration"


def load_settings(**overrides: Any) -> Settings:
    """Read settings; raise ConfigError with one readable line when something is wrong."""
    try:
        return Settings(**overrides)  # field values of any type: pydantic validates them
    except ValidationError as exc:
        first = exc.errors()[0]
        message = str(first["msg"]).removeprefix("Value error, ")
        if not first["loc"]:
            raise ConfigError(message) from None
        raise ConfigError(f"{_env_name(first['loc'])}: {message}") from None
