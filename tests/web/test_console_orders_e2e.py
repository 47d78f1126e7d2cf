"""End to end through the sandbox: a real Kiosk (polling on SQLite, webhook on PostgreSQL with
Redis) serving the console; the owner signs in with a one-time link, ships an order from the
console's API, and the buyer is told in the Telegram chat, as when staff ship from the chat."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from aiohttp import ClientSession, CookieJar

from tests.e2e.back_office_seed import paid_order, seed_product
from tests.e2e.conftest import need_backends, running_kiosk
from tests.e2e.test_admin import OWNER, relax_throttle

_FIELD = re.compile(r'name="(t|csrf)" value="([^"]*)"')
_CSRF = re.compile(r'<meta name="csrf-token" content="([^"]*)">')


@pytest.mark.parametrize("mode", ["polling-sqlite", "webhook-postgres-redis"])
async def test_shipping_from_the_console_tells_the_buyer_in_the_chat(
    mode: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    async with running_kiosk(need_backends(mode), request, tmp_path, storefront=True) as kiosk:
        relax_throttle(kiosk)
        alice = kiosk.sandbox.user(1001, "Alice")
        await alice.send("/start")
        buyer = await kiosk.app.services.users.repo.get_by_telegram_id(1001)
        assert buyer is not None
        order = await paid_order(kiosk, buyer, await seed_product(kiosk))
        token = await kiosk.app.services.console_sessions.issue_link(OWNER)
        base = kiosk.settings.web.public_url
        async with ClientSession(base_url=base, cookie_jar=CookieJar(unsafe=True)) as http:
            async with http.get(f"/console/login?t={token}") as page:
                fields = dict(_FIELD.findall(await page.text()))
            async with http.post("/console/login", data=fields, allow_redirects=False) as signed:
                assert signed.status == 303
            async with http.get(f"/console/orders/{order.id}") as page:
                html = await page.text()
                assert page.status == 200 and 'data-testid="action-ship"' in html
            found = _CSRF.search(html)
            assert found is not None
            async with http.post(
                f"/console/api/orders/{order.id}/actions/ship",
                json={"carrier": "DHL", "tracking": "JD0123456789"},
                headers={"X-CSRF-Token": found.group(1)},
            ) as shipped:
                body = await shipped.json()
                assert shipped.status == 200, body
        assert body["order"]["status"] == "shipped"
        told = [m.content for m in alice.bot_messages]
        assert any(
            f"Order #{order.id} has shipped" in t and "DHL JD0123456789" in t for t in told
        ), alice.transcript()
