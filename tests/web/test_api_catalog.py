"""Browsing through the storefront's API on SQLite and PostgreSQL: views in the shopper's
language, search with the chat's filters, favourites, the entry page and its assets."""

from __future__ import annotations

from tests.web.storefront import PHOTO_BYTES, Storefront


async def test_entry_page_loads_telegram_script_first_with_strict_csp(store: Storefront) -> None:
    response = await store.client.get("/app/")
    html = await response.text()
    assert response.status == 200
    telegram = html.index('<script src="https://telegram.org/js/telegram-web-app.js"></script>')
    assert telegram < html.index("app.js")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self' https://telegram.org" in csp
    assert "'unsafe-inline'" not in csp and "default-src 'none'" in csp
    assert 'data-testid="app-root"' in html
    bare = await store.client.get("/app?tgWebAppStartParam=p_1", allow_redirects=False)
    assert bare.status == 301 and bare.headers["Location"] == "/app/?tgWebAppStartParam=p_1"


async def test_assets_are_versioned_cached_and_gzipped(store: Storefront) -> None:
    html = await (await store.client.get("/app/")).text()
    js = html.split('src="', 2)[2].split('"', 1)[0]
    assert js.startswith("static/") and js.endswith("/app.js")
    response = await store.client.get(f"/app/{js}", headers={"Accept-Encoding": "gzip"})
    assert response.status == 200
    assert response.headers["Content-Encoding"] == "gzip"
    assert "immutable" in response.headers["Cache-Control"]
    assert "initData" in await response.text()
    stale = await store.client.get("/app/static/0000000000/app.js")
    assert stale.status == 404


async def test_home_lists_categories_in_the_shoppers_language(store: Storefront) -> None:
    status, html = await store.call("GET", "view/home", language="zh")
    assert status == 200
    assert 'data-testid="view-home"' in html
    assert "服装" in html and "电子产品" in html
    assert "搜索" in html  # the search button, from web.po


async def test_category_grid_pages(store: Storefront) -> None:
    gadgets = store.categories["gadgets"]
    status, html = await store.call("GET", f"view/category/{gadgets}")
    assert status == 200
    assert html.count('data-testid="product-card"') == 3
    assert "Coffee mug" in html
    status, body = await store.call("GET", "view/category/999999")
    assert status == 404 and body["error"] == "not_found"


async def test_search_with_filters_sort_and_suggestions(store: Storefront) -> None:
    status, html = await store.call("GET", "view/search?q=mug")
    assert status == 200 and "Coffee mug" in html
    status, html = await store.call("GET", "view/search?q=咖啡杯", language="zh")
    assert status == 200 and "咖啡杯" in html
    gadgets = store.categories["gadgets"]
    status, html = await store.call(
        "GET", f"view/search?q=&category={gadgets}&stock=1&sort=price_asc"
    )
    assert status == 200
    assert "Sold-out lamp" not in html and "Coffee mug" in html
    status, html = await store.call("GET", "view/search?q=mug&min=20&max=30")
    assert "Nothing found for «mug»" in html  # $12.50 is outside $20-$30: popular instead
    status, body = await store.call("GET", "suggest?q=coff")
    assert status == 200
    assert [i["title"] for i in body["items"]] == ["Coffee mug"]
    status, body = await store.call("GET", "view/search?q=mug&sort=cheapest")
    assert status == 400 and body["message"]


async def test_product_page_and_favourites(store: Storefront) -> None:
    shirt = store.goods["shirt"]
    status, html = await store.call("GET", f"view/product/{shirt}")
    assert status == 200
    assert html.count('data-testid="variant-option"') == 2
    assert f"startapp=p_{shirt}" in html  # the share link opens the Mini App on it
    assert 'aria-pressed="false"' in html
    assert f'data-lazy="product/{shirt}/shelves"' in html
    status, html = await store.call("GET", f"view/product/{store.goods['mug']}/shelves")
    assert status == 200 and 'data-testid="shelf-similar"' in html
    assert "Sold-out lamp" in html  # same category: the catalogue's list while the model is cold
    status, body = await store.call("PUT", f"favourites/{shirt}")
    assert status == 200 and body["favourite"] is True
    status, html = await store.call("GET", "view/favourites")
    assert "Cotton T-shirt" in html
    status, html = await store.call("GET", "view/favourites", telegram_id=2002)
    assert "Cotton T-shirt" not in html  # favourites are per shopper
    status, body = await store.call("DELETE", f"favourites/{shirt}")
    assert body["favourite"] is False
    status, body = await store.call("GET", f"view/product/{store.goods['gone']}9")
    assert status == 404


async def test_me_and_start_param_product(store: Storefront) -> None:
    mug = store.goods["mug"]
    headers = store.auth(1001, "zh", start_param=f"p_{mug}")
    response = await store.client.get("/app/api/me", headers=headers)
    body = await response.json()
    assert body["open_product"] == mug and body["locale"] == "zh"
    user = await store.services.users.repo.get_by_telegram_id(1001)
    assert user is not None and user.first_name == "Ann"  # registered like the chat does


async def test_photos_kept_as_telegram_file_ids_are_served_through_the_bot(
    store: Storefront,
) -> None:
    mug = store.goods["mug"]
    _, html = await store.call("GET", f"view/product/{mug}")
    assert f'src="photo/{mug}/0"' in html and 'src="https://img.example/mug-2.jpg"' in html
    response = await store.client.get(f"/app/photo/{mug}/0")  # an <img>: no auth header
    assert response.status == 200 and await response.read() == PHOTO_BYTES
    assert store.session.downloads[-1].endswith("/photos/file_1.jpg")
    assert "max-age" in response.headers["Cache-Control"]
    outside = await store.client.get(f"/app/photo/{mug}/1", allow_redirects=False)
    assert outside.status == 302 and outside.headers["Location"].startswith("https://img.")
    for missing in (f"/app/photo/{mug}/2", f"/app/photo/{mug}/x", "/app/photo/999999/0"):
        assert (await store.client.get(missing)).status == 404
