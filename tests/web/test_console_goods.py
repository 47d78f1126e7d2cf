"""The console's goods, stock, CSV and categories pages over HTTP, on SQLite and PostgreSQL:
the table's paging/search/sort, an edit that meets a chat edit (version conflict: nothing
overwritten, the current values shown), a photo upload that yields a Telegram file id, bulk
changes, a stock adjustment writing a ledger row, a CSV preview with a bad row that applies
nothing until confirmed, missing categories created on request, a category move refusing a
cycle; every change refused without the CSRF token."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from html import unescape
from typing import Any

import aiohttp
import pytest_asyncio
from aiogram import Bot
from aiogram.methods import SendPhoto, TelegramMethod
from aiogram.types import Chat, Message, PhotoSize

from storage.admin.models import AuditRow, StockMovementRow
from storage.catalog.models import CategoryRow, ProductRow
from tests.web.console import MANAGER_ID, OWNER_ID, Console, ConsoleClient, console_app

_SENT_PHOTO_ID = "AgACAgIAAxkBAAIConsolePhoto"


@pytest_asyncio.fixture
async def console(db: str) -> AsyncIterator[Console]:
    async with console_app() as c:
        yield c


def _form(values: dict[str, str], csrf: str, **files: tuple[bytes, str, str]) -> aiohttp.FormData:
    form = aiohttp.FormData()
    form.add_field("csrf", csrf)
    for name, value in values.items():
        form.add_field(name, value)
    for name, (data, filename, content_type) in files.items():
        form.add_field(name, data, filename=filename, content_type=content_type)
    return form


async def _edit_form(client: ConsoleClient, product_id: int) -> dict[str, str]:
    """The edit page's fields as the browser would send them back."""
    import re

    status, html = await client.page(f"/console/goods/{product_id}")
    assert status == 200, html
    values = dict(re.findall(r'<input id="f-(\w+)" name="\w+" value="([^"]*)"', html))
    values["version"] = re.search(r'name="version" value="(\d+)"', html).group(1)  # type: ignore[union-attr]
    values["category_id"] = re.search(  # type: ignore[union-attr]
        r'<option value="(\d+)" selected>', html
    ).group(1)
    for photo in re.findall(r'name="photo" value="([^"]+)" checked', html):
        values.setdefault("photo", photo)
    return {k: v.replace("&amp;", "&") for k, v in values.items()}


async def test_a_stale_price_edit_is_refused_and_the_chats_price_kept(console: Console) -> None:
    """The chat saves a new price while the page is open: the console's save with the old
    version is refused with a clear message, nothing of it stored or audited; a form without
    a version is refused too (it can't say what it was drawn from)."""
    owner = await console.client("owner")
    mug = console.goods["mug"]
    form = await _edit_form(owner, mug)
    chat = await console.services.merchant.editable(mug)
    await console.services.merchant.edit(MANAGER_ID, mug, chat.version, {"price": 1400})
    audited = await AuditRow.filter(action="product.edit").count()

    stale = form | {"price": "9.99", "title_en": "Console mug"}
    status, html = await owner.call("POST", f"/console/goods/{mug}", data=_form(stale, owner.csrf))
    assert status == 409 and "Someone else changed this product" in html, html[:500]
    assert 'value="14.00"' in html  # the page now shows the chat's price to start again from
    row = await ProductRow.get(id=mug)
    assert (row.price, row.title_en) == (1400, chat.product.title.en)
    assert await AuditRow.filter(action="product.edit").count() == audited

    versionless = {k: v for k, v in stale.items() if k != "version"}
    for sent in (versionless, versionless | {"version": "x"}):
        status, html = await owner.call(
            "POST", f"/console/goods/{mug}", data=_form(sent, owner.csrf)
        )
        assert status == 400 and "That request isn't valid." in unescape(html), html[:500]
    row = await ProductRow.get(id=mug)
    assert (row.price, row.title_en) == (1400, chat.product.title.en)
    assert await AuditRow.filter(action="product.edit").count() == audited


async def test_table_pages_searches_filters_and_sorts(console: Console) -> None:
    manager = await console.client("manager")
    status, body = await manager.call("GET", "/console/api/goods?sort=price_desc&size=25")
    assert status == 200
    assert [i["sku"] for i in body["items"]] == ["GONE", "TEE", "MUG-1", "EVIL"]
    assert body["total"] == 4 and body["pages"] == 1
    status, body = await manager.call("GET", "/console/api/goods?q=mug")
    assert [i["sku"] for i in body["items"]] == ["MUG-1"]
    status, body = await manager.call("GET", "/console/api/goods?stock=out&sort=oldest")
    assert [i["sku"] for i in body["items"]] == ["GONE"]
    clothes = console.categories["clothes"]
    status, body = await manager.call("GET", f"/console/api/goods?category={clothes}")
    assert [(i["sku"], i["available"]) for i in body["items"]] == [("TEE", 5)]
    status, body = await manager.call("GET", "/console/api/goods?page=999&sort=zzz&size=7")
    assert status == 200 and body["page"] == 1 and body["page_size"] == 25  # forged, clamped
    status, html = await manager.page("/console/goods?q=%3Cscript%3E")
    assert status == 200 and "<script>alert" not in html  # the query is escaped
    status, html = await manager.page("/console/goods")
    assert status == 200 and 'data-testid="goods-row"' in html and "&lt;script&gt;" in html


async def test_edit_with_a_version_conflict_keeps_the_other_edit(console: Console) -> None:
    owner = await console.client("owner")
    mug = console.goods["mug"]
    form = await _edit_form(owner, mug)
    # Meanwhile the chat edits the title (the same domain edit, with the version it read).
    chat = await console.services.merchant.editable(mug)
    await console.services.merchant.edit(MANAGER_ID, mug, chat.version, {"brand": "Chat brand"})
    status, html = await owner.call(
        "POST", f"/console/goods/{mug}", data=_form(form | {"price": "9.99"}, owner.csrf)
    )
    assert status == 409 and "Someone else changed this product" in html
    assert 'value="Chat brand"' in html  # the current values are shown
    row = await ProductRow.get(id=mug)
    assert (row.price, row.brand) == (1250, "Chat brand")  # nothing overwritten
    form = await _edit_form(owner, mug)
    status, _ = await owner.call(
        "POST", f"/console/goods/{mug}", data=_form(form | {"price": "9.99"}, owner.csrf)
    )
    assert status == 303
    row = await ProductRow.get(id=mug)
    assert (row.price, row.brand) == (999, "Chat brand")
    bad = form | {"price": "12.345", "title_en": " "}
    status, html = await owner.call("POST", f"/console/goods/{mug}", data=_form(bad, owner.csrf))
    assert status == 400 and 'data-testid="error-price"' in html and "12.345" in html
    assert 'data-testid="error-title_en"' in html
    assert (await ProductRow.get(id=mug)).price == 999
    status, _ = await owner.call(
        "POST", f"/console/goods/{mug}", data=_form(form | {"price": "1"}, ""), csrf=False
    )
    assert status == 403 and (await ProductRow.get(id=mug)).price == 999


async def test_a_photo_upload_is_stored_as_a_telegram_file_id(console: Console) -> None:
    sent: list[SendPhoto] = []
    answer = console.session.make_request

    async def with_photos(
        bot: Bot,
        method: TelegramMethod[Any],
        timeout: int | None = None,  # noqa: ASYNC109
    ) -> Any:
        if isinstance(method, SendPhoto):
            sent.append(method)
            sizes = [
                PhotoSize(
                    file_id=f"{_SENT_PHOTO_ID}{n}", file_unique_id=f"u{n}", width=w, height=w
                )
                for n, w in ((1, 90), (2, 800))
            ]
            chat = Chat(id=int(method.chat_id), type="private")
            return Message(message_id=5, date=datetime.now(UTC), chat=chat, photo=sizes)
        return await answer(bot, method, timeout)

    console.session.make_request = with_photos  # type: ignore[method-assign]
    owner = await console.client("owner")
    mug = console.goods["mug"]
    form = await _edit_form(owner, mug)
    upload = {"photo_upload": (b"\xff\xd8\xff\xe0 a tiny JPEG", "mug.jpg", "image/jpeg")}
    status, _ = await owner.call(
        "POST", f"/console/goods/{mug}", data=_form(form, owner.csrf, **upload)
    )
    assert status == 303
    assert [int(m.chat_id) for m in sent] == [OWNER_ID]  # to the staff member's own chat
    photos = (await ProductRow.get(id=mug)).photos
    assert photos == ["AgACAgIAAxkBAAIBfileid", f"{_SENT_PHOTO_ID}2"]  # the largest size
    status, body = await owner.call(
        "POST",
        "/console/api/photos",
        data=_form({}, owner.csrf, photo=(b"not an image", "x.txt", "text/plain")),
    )
    assert status == 400 and body["error"] == "invalid"


async def test_bulk_price_and_active(console: Console) -> None:
    manager = await console.client("manager")
    mug, shirt, evil = console.goods["mug"], console.goods["shirt"], console.goods["evil"]
    body = {"ids": [mug, shirt, evil], "action": "price_percent", "value": "+10"}
    status, answer = await manager.call("POST", "/console/api/goods/bulk", json_body=body)
    assert status == 200 and answer["changed"] == [mug, evil] and answer["skipped"] == [shirt]
    prices = dict(await ProductRow.filter(id__in=[mug, evil]).values_list("id", "price"))
    assert prices == {mug: 1375, evil: 550}
    body = {"ids": [mug], "action": "price_set", "value": "abc"}
    status, answer = await manager.call("POST", "/console/api/goods/bulk", json_body=body)
    assert status == 400 and "price" in answer["message"]
    body = {"ids": [mug, evil], "action": "deactivate"}
    status, _ = await manager.call("POST", "/console/api/goods/bulk", json_body=body, csrf=False)
    assert status == 403 and (await ProductRow.get(id=mug)).active
    status, _ = await manager.call("POST", "/console/api/goods/bulk", json_body=body)
    assert status == 200 and not (await ProductRow.get(id=mug)).active
    actions = await AuditRow.filter(actor=MANAGER_ID).values_list("action", flat=True)
    assert actions.count("product.edit") == 2 and actions.count("product.deactivate") == 2


async def test_stock_adjustment_writes_a_ledger_row(console: Console) -> None:
    manager = await console.client("manager")
    mug, shirt = console.goods["mug"], console.goods["shirt"]
    form = {"reason": "received", "quantity": "7"}
    status, _ = await manager.call(
        "POST", f"/console/goods/{mug}/stock", data=_form(form, manager.csrf)
    )
    assert status == 303 and (await ProductRow.get(id=mug)).on_hand == 27
    row = await StockMovementRow.filter(product_id=mug, reason="received").get()
    assert (row.delta_on_hand, row.actor) == (7, MANAGER_ID)
    status, html = await manager.page(f"/console/goods/{mug}/stock")
    assert status == 200 and html.count('data-testid="ledger-row"') == 1  # seeded without one
    too_many = {"reason": "damaged", "quantity": "500"}
    status, html = await manager.call(
        "POST", f"/console/goods/{mug}/stock", data=_form(too_many, manager.csrf)
    )
    assert status == 400 and "below zero" in html and (await ProductRow.get(id=mug)).on_hand == 27
    option = {
        "reason": "correction",
        "quantity": "+2",
        "variant_id": str(console.variants["TEE-L"]),
    }
    status, _ = await manager.call(
        "POST", f"/console/goods/{shirt}/stock", data=_form(option, manager.csrf)
    )
    assert status == 303
    assert await StockMovementRow.filter(variant_id=console.variants["TEE-L"]).count() == 1


CSV = (
    "sku,title_en,category,price,stock\n"
    "MUG-1,Coffee mug,Gadgets,11.00,20\n"
    "NEW-1,Teapot,Gadgets,25.00,3\n"
    "BAD-1,Broken,Gadgets,twelve,1\n"
)


async def test_csv_preview_applies_nothing_until_confirmed(console: Console) -> None:
    manager = await console.client("manager")
    key = await _upload(manager, CSV)
    status, html = await manager.page(f"/console/catalog/import/{key}")
    assert status == 200 and 'data-testid="refused-row" data-line="4"' in html
    assert "To add: 1" in html and "To change: 1" in html and "import-apply" not in html
    assert await ProductRow.filter(sku="NEW-1").count() == 0
    status, html = await manager.call(
        "POST", f"/console/catalog/import/{key}", data=_form({}, manager.csrf)
    )
    assert status == 409 and await ProductRow.filter(sku="NEW-1").count() == 0
    key = await _upload(manager, CSV.replace("twelve", "12"))
    assert await ProductRow.filter(sku="NEW-1").count() == 0  # still only a preview
    status, html = await manager.call(
        "POST", f"/console/catalog/import/{key}", data=_form({}, ""), csrf=False
    )
    assert status == 403 and await ProductRow.filter(sku="NEW-1").count() == 0
    status, html = await manager.call(
        "POST", f"/console/catalog/import/{key}", data=_form({}, manager.csrf)
    )
    assert status == 200 and 'data-testid="import-done"' in html
    assert (await ProductRow.get(sku="MUG-1")).price == 1100
    assert await ProductRow.filter(sku__in=["NEW-1", "BAD-1"]).count() == 2
    other = await console.client("owner")  # a preview key is its uploader's only
    status, _ = await other.page(f"/console/catalog/import/{key}")
    assert status == 409


async def _upload(client: ConsoleClient, text: str) -> str:
    """Upload a CSV on the import page; the preview's key from the redirect."""
    form = _form({}, client.csrf, file=(text.encode(), "goods.csv", "text/csv"))
    async with client.http.post(
        "/console/catalog/import", data=form, allow_redirects=False
    ) as response:
        assert response.status == 303, await response.text()
        location = response.headers["Location"]
    prefix = "/console/catalog/import/"
    assert location.startswith(prefix)
    return location[len(prefix) :]


async def test_missing_categories_are_listed_and_created_on_request(console: Console) -> None:
    owner = await console.client("owner")
    text = "sku,title_en,category,price\nOO-1,Oolong,Tea / Oolong,9.00\nMUG-9,Cup,Gadgets,3\n"
    key = await _upload(owner, text)
    status, html = await owner.page(f"/console/catalog/import/{key}")
    assert 'data-testid="missing-category">Tea / Oolong<' in html
    assert (
        "import-create-categories" in html and await CategoryRow.filter(name_en="Tea").count() == 0
    )
    status, html = await owner.call(
        "POST",
        f"/console/catalog/import/{key}",
        data=_form({"create_categories": "1"}, owner.csrf),
    )
    assert status == 200 and "2 new, 0 updated, 2 categories created" in html
    tea = await CategoryRow.get(name_en="Tea")
    oolong = await CategoryRow.get(name_en="Oolong", parent_id=tea.id)
    assert (await ProductRow.get(sku="OO-1")).category_id == oolong.id


async def test_categories_editor_refuses_a_cycle(console: Console) -> None:
    owner = await console.client("owner")
    gadgets = console.categories["gadgets"]
    status, _ = await owner.call(
        "POST",
        "/console/catalog/categories",
        data=_form(
            {"name_en": "Phones", "name_zh": "手机", "parent_id": str(gadgets)}, owner.csrf
        ),
    )
    assert status == 303
    phones = await CategoryRow.get(name_en="Phones")
    assert phones.parent_id == gadgets
    move = {"action": "move", "parent_id": str(phones.id)}
    status, html = await owner.call(
        "POST", f"/console/catalog/categories/{gadgets}", data=_form(move, owner.csrf)
    )
    assert status == 400 and "inside itself" in html
    assert (await CategoryRow.get(id=gadgets)).parent_id is None
    for action in ("rename", "deactivate", "up"):
        fields = {"action": action, "name_en": "Devices", "name_zh": ""}
        status, _ = await owner.call(
            "POST", f"/console/catalog/categories/{gadgets}", data=_form(fields, owner.csrf)
        )
        assert status == 303, action
    row = await CategoryRow.get(id=gadgets)
    assert (row.name_en, row.active, row.position) == ("Devices", False, 0)
    status, html = await owner.page("/console/catalog/categories")
    assert status == 200 and html.count('data-testid="category-item"') == 3


async def test_export_and_template_download(console: Console) -> None:
    manager = await console.client("manager")
    status, text = await manager.call("GET", "/console/catalog/export.csv")
    assert status == 200 and text.startswith("\ufeffsku,title_en") and "MUG-1" in text
    status, template = await manager.call("GET", "/console/catalog/template.csv")
    assert status == 200 and "SAMPLE-001" in template
    checked = await console.services.transfer.check(template.lstrip("\ufeff").encode())
    assert checked.ok  # the template imports as it is
