"""aiohttp application: ``/bot<token>/<method>`` and ``/file/bot<token>/<path>`` routes.

Parsing turns JSON bodies, urlencoded forms and multipart uploads (aiogram's encoding, with
nested objects as JSON strings) into one ``Params`` shape before dispatching to the sandbox.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from aiohttp import web

from .validation import Params

if TYPE_CHECKING:
    from .core import Sandbox

# Form fields that carry JSON (numbers, booleans, objects); everything else stays a string so
# that e.g. a text "123" or a payload "[1]" is never reinterpreted.
JSON_KEYS = frozenset(
    {
        "chat_id",
        "from_chat_id",
        "message_id",
        "message_ids",
        "user_id",
        "offset",
        "limit",
        "timeout",
        "reply_markup",
        "entities",
        "caption_entities",
        "prices",
        "media",
        "results",
        "commands",
        "scope",
        "shipping_options",
        "allowed_updates",
        "max_connections",
        "ok",
        "show_alert",
        "cache_time",
        "is_personal",
        "is_flexible",
        "need_name",
        "need_phone_number",
        "need_email",
        "need_shipping_address",
        "send_phone_number_to_provider",
        "send_email_to_provider",
        "disable_notification",
        "protect_content",
        "drop_pending_updates",
        "disable_web_page_preview",
        "link_preview_options",
        "reply_parameters",
        "reply_to_message_id",
        "message_thread_id",
        "max_tip_amount",
        "suggested_tip_amounts",
        "photo_size",
        "photo_width",
        "photo_height",
        "menu_button",
        "show_caption_above_media",
        "has_spoiler",
        "allow_paid_broadcast",
        "disable_content_type_detection",
        "subscription_period",
        "button",
        "button_text",
        "allow_sending_without_reply",
    }
)


def decode_fields(fields: dict[str, Any]) -> dict[str, Any]:
    """Decode the JSON-carrying form fields in place and return the dict."""
    for key in JSON_KEYS.intersection(fields):
        value = fields[key]
        if isinstance(value, str) and value:
            try:
                fields[key] = json.loads(value)
            except ValueError:
                pass
    return fields


async def read_params(request: web.Request) -> Params:
    data: dict[str, Any] = dict(request.query)
    files: dict[str, tuple[bytes, str, str]] = {}
    if request.method == "POST" and request.can_read_body:
        ctype = request.content_type
        if ctype == "application/json":
            try:
                body = await request.json()
            except ValueError:
                body = None
            if isinstance(body, dict):
                data.update(body)
            return Params(data, files)
        form = await request.post()
        for key, value in form.items():
            if isinstance(value, web.FileField):
                files[key] = (
                    value.file.read(),
                    value.filename or key,
                    value.content_type or "application/octet-stream",
                )
            else:
                data[key] = value if isinstance(value, str) else bytes(value).decode()
    return Params(decode_fields(data), files)


def build_app(sb: Sandbox) -> web.Application:
    app = web.Application(client_max_size=64 * 1024 * 1024)

    async def api(request: web.Request) -> web.Response:
        params = await read_params(request)
        status, body = await sb.handle_call(
            request.match_info["token"], request.match_info["method"], params
        )
        return web.json_response(body, status=status)

    async def download(request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] not in sb.bots:
            return web.json_response(
                {"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401
            )
        rec = sb.files.by_path.get(request.match_info["path"])
        if rec is None or rec.content is None:
            return web.json_response(
                {"ok": False, "error_code": 404, "description": "Not Found"}, status=404
            )
        return web.Response(body=rec.content, content_type="application/octet-stream")

    async def root(request: web.Request) -> web.Response:
        return web.json_response(
            {"ok": False, "error_code": 404, "description": "Not Found"}, status=404
        )

    async def control(request: web.Request) -> web.Response:
        """Manual user side for the standalone mode: POST /sandbox/<action> with JSON."""
        from .models import SandboxError

        body = await request.json() if request.can_read_body else {}
        action = request.match_info["action"]
        try:
            user = sb.user(
                int(body["user_id"]),
                first_name=str(body.get("first_name", "User")),
                bot_token=body.get("bot_token"),
            )
            expect = bool(body.get("expect_reply", True))
            if action == "send":
                msgs = await user.send(str(body["text"]), expect_reply=expect)
            elif action == "press":
                msgs = await user.press(
                    body.get("text"), callback_data=body.get("callback_data"), expect_reply=expect
                )
            elif action == "transcript":
                msgs = []
            else:
                return web.json_response({"error": f"unknown action {action}"}, status=404)
        except (SandboxError, KeyError, ValueError) as e:  # NoReply carries the transcript
            return web.json_response({"error": str(e)}, status=400)
        return web.json_response(
            {"messages": [m.raw for m in msgs], "transcript": user.transcript()}
        )

    app.router.add_post("/sandbox/{action}", control)
    sb.miniapp.routes(app)
    app.router.add_route("*", "/bot{token}/{method}", api)
    app.router.add_get("/file/bot{token}/{path:.+}", download)
    app.router.add_route("*", "/{tail:.*}", root)
    return app
