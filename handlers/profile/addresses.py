"""Delivery addresses: list, view, add/edit step by step, delete, make default."""

from __future__ import annotations

from typing import Any

from aiogram import F, Router
from aiogram.filters import StateFilter
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _

from domain.cart.service import CartService
from domain.kernel.i18n import N_
from domain.orders.service import OrderService
from domain.users.service import (
    ADDRESS_FIELDS,
    MAX_ADDRESSES,
    Address,
    AddressDraft,
    User,
    UserService,
    validate_address_field,
)
from handlers.common import DbId, MenuCb, esc, show
from handlers.keyboard import InlineKeyboard
from handlers.profile.profile import ProfileCb

router = Router(name=__name__)

PROMPTS = {
    "recipient": N_("Who should receive the parcel? (full name)"),
    "phone": N_("Recipient's phone number?"),
    "city": N_("City?"),
    "street": N_("Street, building and apartment?"),
    "postcode": N_("Postcode? (or Skip)"),
}


class AddrCb(CallbackData, prefix="ad"):
    """action "addco": add an address from the checkout, which saving returns to with the
    new address chosen."""

    action: str
    id: DbId = 0


class AddressForm(StatesGroup):
    recipient = State()
    phone = State()
    city = State()
    street = State()
    postcode = State()
    confirm = State()


def address_text(address: Address | AddressDraft) -> str:
    lines = [
        f"{esc(address.recipient)}, {esc(address.phone)}",
        esc(address.street),
        esc(", ".join(p for p in (address.city, address.postcode or "") if p)),
    ]
    return "\n".join(lines)


def list_keyboard(addresses: list[Address]) -> InlineKeyboardMarkup:
    kb = InlineKeyboard()
    for number, address in enumerate(addresses, start=1):
        star = "⭐ " if address.is_default else ""
        label = f"{star}{number}. {address.street}"[:48]
        kb.button(text=label, callback_data=AddrCb(action="view", id=address.id))
    if len(addresses) < MAX_ADDRESSES:
        kb.button(text=_("➕ Add address"), callback_data=AddrCb(action="add"))
    kb.button(text=_("⬅️ Profile"), callback_data=MenuCb(to="profile"))
    kb.adjust(1)
    return kb.as_markup()


async def render_list(
    target: Message | CallbackQuery,
    user: User,
    users: UserService,
    done: str | None = None,
) -> None:
    """The address list; `done` says what just happened, above it and as a toast."""
    addresses = await users.addresses(user.id)
    text = _("📍 <b>Your addresses</b> ({count}/{limit})").format(
        count=len(addresses), limit=MAX_ADDRESSES
    )
    if not addresses:
        text += "\n\n" + _("No addresses yet.")
    if done:
        text = done + "\n\n" + text
    await show(target, text, list_keyboard(addresses), notice=done)


@router.callback_query(ProfileCb.filter(F.action == "addresses"))
@router.callback_query(AddrCb.filter(F.action == "list"))
async def list_addresses(query: CallbackQuery, user: User, users: UserService) -> None:
    await render_list(query, user, users)


@router.callback_query(AddrCb.filter(F.action == "view"))
async def view_address(
    query: CallbackQuery, callback_data: AddrCb, user: User, users: UserService
) -> None:
    address = await users.address(user.id, callback_data.id)
    kb = InlineKeyboard()
    kb.button(text=_("✏️ Edit"), callback_data=AddrCb(action="edit", id=address.id))
    kb.button(text=_("🗑 Delete"), callback_data=AddrCb(action="delete", id=address.id))
    if not address.is_default:
        kb.button(text=_("⭐ Make default"), callback_data=AddrCb(action="default", id=address.id))
    kb.button(text=_("⬅️ Addresses"), callback_data=AddrCb(action="list"))
    kb.adjust(2, 1, 1)
    title = _("⭐ Default address") if address.is_default else _("Address")
    await show(query, f"<b>{title}</b>\n{address_text(address)}", kb.as_markup())


@router.callback_query(AddrCb.filter(F.action == "delete"))
async def ask_delete(
    query: CallbackQuery, callback_data: AddrCb, user: User, users: UserService
) -> None:
    address = await users.address(user.id, callback_data.id)
    kb = InlineKeyboard()
    kb.button(text=_("Yes, delete"), callback_data=AddrCb(action="really_delete", id=address.id))
    kb.button(text=_("No, keep it"), callback_data=AddrCb(action="view", id=address.id))
    await show(query, _("Delete this address?") + "\n" + address_text(address), kb.as_markup())


@router.callback_query(AddrCb.filter(F.action == "really_delete"))
async def delete_address(
    query: CallbackQuery, callback_data: AddrCb, user: User, users: UserService
) -> None:
    await users.delete_address(user.id, callback_data.id)
    await render_list(query, user, users, done=_("Address deleted."))


@router.callback_query(AddrCb.filter(F.action == "default"))
async def make_default(
    query: CallbackQuery, callback_data: AddrCb, user: User, users: UserService
) -> None:
    await users.make_default_address(user.id, callback_data.id)
    await render_list(query, user, users, done=_("Default address changed."))


# ---- the add/edit dialog ----


@router.callback_query(AddrCb.filter(F.action.in_({"add", "addco"})))
async def start_add(
    query: CallbackQuery,
    callback_data: AddrCb,
    state: FSMContext,
    user: User,
    users: UserService,
) -> None:
    if len(await users.addresses(user.id)) >= MAX_ADDRESSES:
        await query.answer(
            _("You can keep at most {limit} addresses. Delete one first.").format(
                limit=MAX_ADDRESSES
            ),
            show_alert=True,
        )
        return
    await state.set_state(AddressForm.recipient)
    back = "co" if callback_data.action == "addco" else ""
    await state.set_data({"address_id": None, "draft": {}, "current": {}, "back": back})
    await ask(query, "recipient", {}, user)


@router.callback_query(AddrCb.filter(F.action == "edit"))
async def start_edit(
    query: CallbackQuery,
    callback_data: AddrCb,
    state: FSMContext,
    user: User,
    users: UserService,
) -> None:
    address = await users.address(user.id, callback_data.id)
    current = {name: getattr(address, name) for name in ADDRESS_FIELDS}
    await state.set_state(AddressForm.recipient)
    await state.set_data({"address_id": address.id, "draft": {}, "current": current})
    await ask(query, "recipient", current, user)


def step_keyboard(field: str, current: dict[str, Any], user: User) -> InlineKeyboardMarkup:
    kb = InlineKeyboard()
    if current.get(field):
        shown = str(current[field])[:30]
        kb.button(text=_("Keep: {value}").format(value=shown), callback_data=AddrCb(action="keep"))
    if field == "phone" and user.phone and current.get("phone") != user.phone:
        kb.button(
            text=_("Use {phone}").format(phone=user.phone), callback_data=AddrCb(action="myphone")
        )
    if field == "postcode":
        kb.button(text=_("Skip"), callback_data=AddrCb(action="skip"))
    kb.button(text=_("✖️ Cancel"), callback_data=MenuCb(to="cancel"))
    kb.adjust(1)
    return kb.as_markup()


async def ask(
    target: Message | CallbackQuery, field: str, current: dict[str, Any], user: User
) -> None:
    number = ADDRESS_FIELDS.index(field) + 1
    text = _("Address, step {n} of {total}").format(n=number, total=len(ADDRESS_FIELDS))
    text += "\n" + _(PROMPTS[field])
    await show(target, text, step_keyboard(field, current, user))


async def accept(
    target: Message | CallbackQuery, state: FSMContext, user: User, raw: str | None
) -> None:
    """Validate the answer to the current step, store it and move to the next step."""
    step = await state.get_state()
    field = step.split(":")[1] if step else ""
    value = validate_address_field(field, raw)
    data = await state.get_data()
    data["draft"][field] = value
    await state.set_data(data)
    position = ADDRESS_FIELDS.index(field)
    if position + 1 < len(ADDRESS_FIELDS):
        following = ADDRESS_FIELDS[position + 1]
        await state.set_state(getattr(AddressForm, following))
        await ask(target, following, data["current"], user)
        return
    await state.set_state(AddressForm.confirm)
    kb = InlineKeyboard()
    kb.button(text=_("✅ Save"), callback_data=AddrCb(action="save"))
    kb.button(text=_("✖️ Cancel"), callback_data=MenuCb(to="cancel"))
    draft = AddressDraft(**data["draft"])
    await show(target, _("Save this address?") + "\n" + address_text(draft), kb.as_markup())


TYPED_STEPS = StateFilter(
    AddressForm.recipient,
    AddressForm.phone,
    AddressForm.city,
    AddressForm.street,
    AddressForm.postcode,
)


@router.message(TYPED_STEPS, F.text, ~F.text.startswith("/"))
async def typed_answer(message: Message, state: FSMContext, user: User) -> None:
    await accept(message, state, user, message.text)


@router.callback_query(AddrCb.filter(F.action.in_({"keep", "myphone", "skip"})))
async def button_answer(
    query: CallbackQuery, callback_data: AddrCb, state: FSMContext, user: User
) -> None:
    step = await state.get_state()
    if step is None or not step.startswith("AddressForm:") or step == AddressForm.confirm.state:
        await query.answer(_("This button is no longer active."), show_alert=True)
        return
    field = step.split(":")[1]
    data = await state.get_data()
    choices = {
        "keep": data["current"].get(field),
        "myphone": user.phone if field == "phone" else None,
        "skip": "" if field == "postcode" else None,
    }
    raw = choices[callback_data.action]
    if raw is None:
        await query.answer(_("This button is no longer active."), show_alert=True)
        return
    await accept(query, state, user, raw)


@router.callback_query(AddressForm.confirm, AddrCb.filter(F.action == "save"))
async def save(
    query: CallbackQuery,
    state: FSMContext,
    user: User,
    users: UserService,
    carts: CartService,
    orders: OrderService,
) -> None:
    data = await state.get_data()
    draft = AddressDraft(**data["draft"])
    if data["address_id"]:
        await users.update_address(user.id, data["address_id"], draft)
        notice = _("Address updated.")
    else:
        added = await users.add_address(user.id, draft)
        notice = _("Address saved.")
        if data.get("back") == "co":  # added from the checkout: back to it, with this address
            await state.clear()
            # checkout.py imports this module (AddrCb), so its continuation is imported here
            from handlers.orders.checkout import continue_with_address

            await continue_with_address(query, user, users, carts, orders, added.id)
            return
    await state.clear()
    await render_list(query, user, users, done=notice)
