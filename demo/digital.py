"""Demo scene: the owner sells licence keys (a digital good, paid in Stars), a shopper buys one
and gets the key at once, then asks the shop a question and the owner answers in place."""

from __future__ import annotations

import re

from demo.back_office import DEMO_OWNER
from demo.harness import Sandboxed
from sandbox import SandboxUser


async def owner_sells_keys_and_shopper_asks(k: Sandboxed) -> list[SandboxUser]:
    olga = k.sandbox.user(DEMO_OWNER, "Olga", username="olga_owner", language_code="en")
    await olga.send("/admin")
    await olga.press("📦 Goods")
    await olga.press("➕ New product")
    await olga.press("🔑 Digital: codes, keys, links or files")
    await olga.send("Tea timer app, licence key")
    await olga.send("茶计时器应用授权码")
    await olga.press("⏭ Skip")  # no description
    await olga.press("Tea ware")
    await olga.send("4.99")
    await olga.press("✅ Done")  # no photos
    await olga.press("⏭ Skip")  # no specs
    await olga.send("200")  # its own Stars price (the rate would give 250)
    await olga.send("1")  # warn when one key is left
    await olga.press("💾 Save")
    card = next(m for m in reversed(olga.bot_messages) if "Tea timer app" in m.content)
    match = re.search(r"#(\d+) · SKU", card.content)
    assert match is not None, olga.transcript()
    await olga.press("🔑 Codes and files")
    await olga.press("📋 Add codes")
    await olga.send("TEA-7KQ2-9XWM\nTEA-3JHD-P4LC\nTEA-8RNV-2TZB")

    dan = k.sandbox.user(2007, "Dan", username="dan_tea", language_code="en")
    await dan.send("/start")
    await dan.send(f"/start p_{match.group(1)}")
    await dan.press("🛒 Add to cart")
    await dan.send("/cart")
    await dan.press("✅ Checkout")
    await dan.press("⭐ Confirm and pay 200 Stars")
    await dan.pay_invoice()  # the key arrives with the receipt
    await dan.send("/contact")
    await dan.send("Does the key work on two phones?")
    await k.sandbox.wait_idle()
    question = next(m for m in reversed(olga.bot_messages) if "two phones" in m.content)
    await olga.send("Yes: one key, up to three devices.", reply_to=question.message_id)
    dan.catch_up()  # the answer, in Dan's chat
    return [olga, dan]
