"""The entry page (`/app/`), its static assets and `api/me` (who is here, what to open)."""

from __future__ import annotations

from aiohttp import web

from web.auth import start_product
from web.keys import ASSETS, CALLER, CONFIG, RENDERER
from web.routes.common import ok, user_of

routes = web.RouteTableDef()


@routes.get("/")
async def entry(request: web.Request) -> web.Response:
    """The shell: Telegram's script first, then ours; the views come from the API in the
    shopper's language once initData has been checked."""
    config, assets = request.config_dict[CONFIG], request.config_dict[ASSETS]
    html = request.config_dict[RENDERER].render(
        "shell.html",
        config.default_locale,
        telegram_js_url=config.telegram_js_url,
        css=assets.url("app.css"),
        js=assets.url("app.js"),
    )
    response = web.Response(text=html, content_type="text/html")
    response.headers["Cache-Control"] = "no-cache"
    response.enable_compression()
    return response


@routes.get("/static/{version}/{name}")
async def static(request: web.Request) -> web.Response:
    assets = request.config_dict[ASSETS]
    asset = assets.files.get(request.match_info["name"])
    if asset is None or request.match_info["version"] != assets.version:
        raise web.HTTPNotFound()
    headers = {"Cache-Control": "public, max-age=31536000, immutable", "Vary": "Accept-Encoding"}
    if "gzip" in request.headers.get("Accept-Encoding", ""):
        headers["Content-Encoding"] = "gzip"
        return _raw(asset.gzipped, asset.content_type, headers)
    return _raw(asset.body, asset.content_type, headers)


def _raw(body: bytes, content_type: str, headers: dict[str, str]) -> web.Response:
    response = web.Response(body=body, headers=headers)
    response.headers["Content-Type"] = content_type
    return response


@routes.get("/api/me")
async def me(request: web.Request) -> web.Response:
    """The shopper's name and language, and the product a `startapp=p_<id>` link opens."""
    user = user_of(request)
    return ok(
        name=user.name, locale=user.locale, open_product=start_product(request[CALLER].start_param)
    )
