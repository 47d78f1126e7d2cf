"""Run the sandbox standalone: ``python -m sandbox --port 8081 --token ... --username ...``.

Point a real bot process at the printed URL (``TelegramAPIServer.from_base(url)``), then act as
a user either with ``--chat USER_ID`` (type messages on stdin, ``!Text`` presses a button) or
over HTTP: ``POST /sandbox/send {"user_id": 1001, "text": "/start"}`` (also ``/sandbox/press``
and ``/sandbox/transcript``), which answer with the bot's messages and the chat transcript.
A bot with a Mini App menu button opens in a browser at ``/miniapp/open?user=1001``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import sys

from .core import Sandbox
from .models import SandboxError


async def _main(args: argparse.Namespace) -> None:
    sb = Sandbox(bot_token=args.token, bot_username=args.username, bot_first_name=args.first_name)
    await sb.start(host=args.host, port=args.port)
    print(f"Telegram sandbox listening on {sb.base_url}", flush=True)
    print(f"  bot API: {sb.base_url}/bot{args.token}/getMe", flush=True)
    print(
        f'  act as a user: curl -d \'{{"user_id": 1001, "text": "/start"}}\' '
        f"{sb.base_url}/sandbox/send   (also /sandbox/press, /sandbox/transcript)",
        flush=True,
    )
    print(
        f"  open the bot's Mini App (once it set a web_app menu button) in a browser: "
        f"{sb.base_url}/miniapp/open?user=1001",
        flush=True,
    )
    try:
        if args.chat is not None:
            await _chat(sb, args.chat)
        else:
            await asyncio.Event().wait()
    finally:
        await sb.stop()


async def _chat(sb: Sandbox, user_id: int) -> None:
    """Interactive chat on stdin: a line is sent as text, "!Button" presses an inline button."""
    user = sb.user(user_id, first_name="You")
    loop = asyncio.get_running_loop()
    print("type messages; '!Text' presses an inline button; Ctrl-D quits", flush=True)
    while True:
        line = await loop.run_in_executor(None, sys.stdin.readline)
        if not line:
            return
        line = line.rstrip("\n")
        try:
            if line.startswith("!"):
                msgs = await user.press(line[1:], expect_reply=False)
            else:
                msgs = await user.send(line, expect_reply=False)
        except SandboxError as e:
            print(f"[sandbox] {e}", flush=True)
            continue
        for msg in msgs:
            print(msg.render(user.bot.first_name, "You"), end="", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m sandbox", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081)
    parser.add_argument("--token", default="123456:TEST-token")
    parser.add_argument("--username", default="kiosk_demo_bot")
    parser.add_argument("--first-name", default="Kiosk")
    parser.add_argument(
        "--chat", type=int, metavar="USER_ID", help="chat with the bot on stdin as this user"
    )
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_main(args))


if __name__ == "__main__":
    main()
