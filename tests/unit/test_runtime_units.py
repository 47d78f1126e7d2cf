"""Settings validation, throttling, Telegram-length trimming and secret redaction."""

from __future__ import annotations

import logging

import pytest

from bot.i18n import build_i18n
from bot.middlewares import ThrottleMiddleware, UpdateDeduplicator
from bot.runtime.logs import RedactingFormatter
from bot.settings import ConfigError, load_settings
from handlers.common import fit, utf16_len

TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    monkeypatch.chdir(tmp_path)  # no stray .env
    for name in (
        "BOT_TOKEN",
        "ADMIN_IDS",
        "DATABASE_URL",
        "REDIS_URL",
        "WEBHOOK__URL",
        "WEBHOOK__SECRET",
        "PAYMENTS__CURRENCY",
        "MODE",
    ):
        monkeypatch.delenv(name, raising=False)


def test_defaults_need_no_configuration() -> None:
    settings = load_settings()
    assert settings.bot_token is None
    assert settings.database_url.startswith("sqlite://")
    assert settings.redis_url is None
    assert settings.run_mode == "polling"


def test_values_from_environment_and_dotenv(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    (tmp_path / ".env").write_text(f"BOT_TOKEN={TOKEN}\nPAYMENTS__CURRENCY=eur\n")
    monkeypatch.setenv("ADMIN_IDS", "11, 22 33")
    settings = load_settings()
    assert settings.bot_token is not None and settings.bot_token.get_secret_value() == TOKEN
    assert TOKEN not in repr(settings)
    assert settings.admin_ids == [11, 22, 33]
    assert settings.payments.currency == "EUR"


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"BOT_TOKEN": "not-a-token"}, "BOT_TOKEN"),
        ({"ADMIN_IDS": "alice"}, "ADMIN_IDS"),
        ({"DATABASE_URL": "mysql://x"}, "DATABASE_URL"),
        ({"REDIS_URL": "localhost:6379"}, "REDIS_URL"),
        ({"PAYMENTS__CURRENCY": "dollars"}, "PAYMENTS__CURRENCY"),
        ({"WEBHOOK__URL": "https://shop.example/hook"}, "WEBHOOK__SECRET"),
        ({"WEBHOOK__PORT": "http"}, "WEBHOOK__PORT"),
    ],
)
def test_a_wrong_value_names_the_variable(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], named: str
) -> None:
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    with pytest.raises(ConfigError) as info:
        load_settings()
    message = str(info.value)
    assert named in message and "\n" not in message


def test_throttle_allows_a_burst_then_refills() -> None:
    throttle = ThrottleMiddleware(rate=2.0, burst=3, i18n=build_i18n("en"))
    assert [throttle.allow(7, now=0.0) for _ in range(4)] == [True, True, True, False]
    assert throttle.allow(8, now=0.0)  # another user is unaffected
    assert throttle.allow(7, now=0.5)  # one token back after 0.5 s at 2/s
    assert not throttle.allow(7, now=0.5)


async def handled_now(dedup: UpdateDeduplicator, update_id: int) -> bool:
    """Claim the update and, if it was ours to handle, finish it at once."""
    claimed = await dedup.claim(update_id)
    if claimed:
        await dedup.finish(update_id)
    return claimed


async def test_deduplicator_without_redis_remembers_update_ids() -> None:
    dedup = UpdateDeduplicator(None, bot_id=1, capacity=2)
    assert await handled_now(dedup, 1)
    assert not await handled_now(dedup, 1)
    assert await handled_now(dedup, 2) and await handled_now(dedup, 3)
    assert await handled_now(dedup, 1)  # forgotten beyond capacity, by design


def test_fit_counts_utf16_units_like_telegram() -> None:
    assert fit("abc", 10) == "abc"
    emoji = "😀" * 3000  # 6000 UTF-16 units
    trimmed = fit(emoji)
    assert utf16_len(trimmed) <= 4096
    assert trimmed.endswith("…")


def test_log_formatter_masks_tokens() -> None:
    formatter = RedactingFormatter("%(message)s", [TOKEN, "provider-secret"])
    record = logging.LogRecord(
        "x",
        logging.ERROR,
        __file__,
        1,
        "POST https://api.telegram.org/bot%s/sendMessage key=%s",
        (TOKEN, "provider-secret"),
        None,
    )
    text = formatter.format(record)
    assert TOKEN not in text and "provider-secret" not in text
    other = "987654321:ZZHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"
    record.args = (other, "")
    assert other not in formatter.format(record)


@pytest.mark.parametrize(
    "url", ["http://shop.example.com", "http://10.0.0.5:8080/kiosk", "http://127.0.0.1.nip.io"]
)
def test_a_plain_http_storefront_url_is_refused_outside_loopback(
    monkeypatch: pytest.MonkeyPatch, url: str
) -> None:
    """Telegram opens Mini Apps over HTTPS only: the bot refuses to start, in one line."""
    monkeypatch.setenv("WEB__PUBLIC_URL", url)
    with pytest.raises(ConfigError) as info:
        load_settings()
    message = str(info.value)
    assert message.startswith("WEB__PUBLIC_URL: ") and "https://" in message
    assert "\n" not in message


@pytest.mark.parametrize(
    ("url", "kept"),
    [
        ("https://shop.example.com/", "https://shop.example.com"),
        ("http://127.0.0.1:8080", "http://127.0.0.1:8080"),
        ("http://localhost:9000/kiosk", "http://localhost:9000/kiosk"),
        ("http://[::1]:8443", "http://[::1]:8443"),
    ],
)
def test_https_or_a_loopback_storefront_url_is_accepted(
    monkeypatch: pytest.MonkeyPatch, url: str, kept: str
) -> None:
    monkeypatch.setenv("WEB__PUBLIC_URL", url)
    assert load_settings().web.public_url == kept
