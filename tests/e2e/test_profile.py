"""/profile end to end: name, phone by contact button, addresses, language, promotions."""

from __future__ import annotations

from demo.harness import Sandboxed
from storage.models import AddressRow, UserRow


async def open_profile(kiosk: Sandboxed, user_id: int = 1001, name: str = "Alice"):  # type: ignore[no-untyped-def]
    user = kiosk.sandbox.user(user_id, name)
    await user.send("/start")
    await user.send("/profile")
    return user


async def test_edit_name_with_emoji_and_rtl(kiosk: Sandboxed) -> None:
    alice = await open_profile(kiosk)
    await alice.press("✏️ Name")
    replies = await alice.send("x" * 65)
    assert "at most 64 characters" in replies[0].content
    replies = await alice.send("سارة 🌸")
    assert "I'll call you سارة 🌸" in replies[0].content
    assert "Name: سارة 🌸" in alice.last_bot_message.content
    assert (await UserRow.get(telegram_id=1001)).display_name == "سارة 🌸"


async def test_photo_where_a_name_is_expected(kiosk: Sandboxed) -> None:
    alice = await open_profile(kiosk)
    await alice.press("✏️ Name")
    replies = await alice.send_photo(b"\x89PNG fake image bytes")
    assert "answer the question above" in replies[0].content
    replies = await alice.send("/cancel")
    assert replies[0].content == "Cancelled."
    assert (await UserRow.get(telegram_id=1001)).display_name is None


async def test_share_phone_by_contact_button(kiosk: Sandboxed) -> None:
    alice = await open_profile(kiosk)
    replies = await alice.press("📱 Phone")
    assert "📱 Share my phone number" in alice.last_bot_message.reply_buttons
    # Someone else's contact is refused.
    replies = await alice.share_contact(phone_number="+15550000000", user_id=4242)
    assert "your own number" in replies[0].content
    replies = await alice.tap("📱 Share my phone number")
    assert any("Phone saved: +15551234567" in m.content for m in replies)
    assert any(m.has_keyboard_removed for m in replies)
    assert (await UserRow.get(telegram_id=1001)).phone == "+15551234567"


async def test_typed_phone_is_validated(kiosk: Sandboxed) -> None:
    alice = await open_profile(kiosk)
    await alice.press("📱 Phone")
    replies = await alice.send("call me maybe")
    assert "doesn't look like a phone number" in replies[0].content
    replies = await alice.send("+44 20 7946 0958")
    assert any("+442079460958" in m.content for m in replies)


async def test_add_edit_and_delete_an_address(kiosk: Sandboxed) -> None:
    alice = await open_profile(kiosk)
    await alice.press("📍 Addresses")
    await alice.press("➕ Add address")
    await alice.send("Alice Liddell 🌸")
    await alice.send("+1 555 123 4567")
    replies = await alice.send("X")
    assert "at least 2 characters" in replies[0].content
    await alice.send("Oxford")
    await alice.send("Christ Church, St Aldates")
    replies = await alice.send("ox1 1dp")
    assert "Save this address?" in replies[0].content and "OX1 1DP" in replies[0].content
    replies = await alice.press("✅ Save")
    assert "Address saved." in replies[0].content
    row = await AddressRow.get(user__telegram_id=1001)
    assert (row.recipient, row.city, row.postcode, row.is_default) == (
        "Alice Liddell 🌸",
        "Oxford",
        "OX1 1DP",
        True,
    )

    # Edit: keep everything but the city.
    await alice.press("⭐ 1. Christ Church, St Aldates")
    await alice.press("✏️ Edit")
    await alice.press("Keep: Alice Liddell 🌸")
    await alice.press("Keep: +15551234567")
    await alice.send("Cambridge")
    await alice.press("Keep: Christ Church, St Aldates")
    await alice.press("Keep: OX1 1DP")
    replies = await alice.press("✅ Save")
    assert "Address updated." in replies[0].content
    assert (await AddressRow.get(id=row.id)).city == "Cambridge"

    await alice.press("⭐ 1. Christ Church, St Aldates")
    await alice.press("🗑 Delete")
    replies = await alice.press("Yes, delete")
    assert "Address deleted." in replies[0].content
    assert await AddressRow.filter(user__telegram_id=1001).count() == 0


async def test_someone_elses_address_stays_invisible(kiosk: Sandboxed) -> None:
    alice = await open_profile(kiosk)
    await alice.press("📍 Addresses")
    await alice.press("➕ Add address")
    for answer in ["Alice", "+15551234567", "Oxford", "Christ Church"]:
        await alice.send(answer)
    await alice.press("Skip")
    await alice.press("✅ Save")
    address_id = (await AddressRow.get(user__telegram_id=1001)).id

    mallory = await open_profile(kiosk, 1666, "Mallory")
    for action in ["view", "edit", "delete", "really_delete", "default"]:
        replies = await mallory.press_data(f"ad:{action}:{address_id}")
        answer = mallory.last_callback_answer
        assert answer is not None and "doesn't exist" in answer["text"], (action, answer)
        assert all("Christ Church" not in m.content for m in replies)
    assert await AddressRow.filter(id=address_id).count() == 1


async def test_switch_language_and_promotions(kiosk: Sandboxed) -> None:
    alice = await open_profile(kiosk)
    await alice.press("🔔 Get promotions")
    assert "Promotions: on" in alice.last_bot_message.content
    assert (await UserRow.get(telegram_id=1001)).marketing_opt_in is True
    await alice.press("🌐 Language")
    replies = await alice.press("中文")
    assert "语言：中文" in replies[0].content
    assert alice.last_callback_answer is not None
    assert "语言已切换为中文" in alice.last_callback_answer["text"]
    assert "我能做什么" in (await alice.send("/help"))[0].content
    # Errors are translated too.
    await alice.send("/profile")
    await alice.press("✏️ 姓名")
    replies = await alice.send("y" * 100)
    assert "姓名最多 64 个字符" in replies[0].content
    await alice.send("/language")
    await alice.press("English")
    assert (await UserRow.get(telegram_id=1001)).language == "en"
