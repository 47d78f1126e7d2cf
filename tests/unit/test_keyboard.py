"""handlers/keyboard.py builds exactly what aiogram's InlineKeyboardBuilder builds, for every
call pattern the screens use, and refuses what Telegram refuses."""

from __future__ import annotations

import ast
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from aiogram.filters.callback_data import CallbackData
from aiogram.types import (
    CallbackGame,
    CopyTextButton,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    LoginUrl,
    SwitchInlineQueryChosenChat,
    WebAppInfo,
)
from aiogram.utils.keyboard import InlineKeyboardBuilder
from hypothesis import given, settings
from hypothesis import strategies as st

from handlers.keyboard import InlineKeyboard


class ItemCb(CallbackData, prefix="it"):
    a: str
    id: int = 0


Op = tuple[Any, ...]
Builder = InlineKeyboard | InlineKeyboardBuilder


def _button(n: int) -> InlineKeyboardButton:
    return InlineKeyboardButton(text=f"b{n}", callback_data=f"b:{n}")


def apply(builder: Builder, ops: list[Op], make: Callable[[], Builder]) -> Builder:
    for op in ops:
        kind, *args = op
        if kind == "button":
            builder.button(**args[0])
        elif kind == "add":
            builder.add(*[_button(n) for n in args[0]])
        elif kind == "row":
            builder.row(*[_button(n) for n in args[0]])
        elif kind == "adjust":
            sizes, repeat = args
            builder.adjust(*sizes, repeat=repeat)
        elif kind == "attach":
            builder.attach(apply(make(), args[0], make))  # type: ignore[arg-type]
        else:
            raise AssertionError(kind)
    return builder


def build_both(ops: list[Op]) -> tuple[InlineKeyboardMarkup, InlineKeyboardMarkup]:
    ours = apply(InlineKeyboard(), ops, InlineKeyboard)
    theirs = apply(InlineKeyboardBuilder(), ops, InlineKeyboardBuilder)
    assert ours.export() == theirs.export()
    return ours.as_markup(), theirs.as_markup()


def assert_same(ours: InlineKeyboardMarkup, theirs: InlineKeyboardMarkup) -> None:
    assert ours == theirs
    # the same fields set on every button (what the session serialises), and the same JSON
    assert ours.model_dump(exclude_unset=True) == theirs.model_dump(exclude_unset=True)
    json = {"mode": "json", "exclude_none": True}
    assert ours.model_dump(**json) == theirs.model_dump(**json)  # type: ignore[arg-type]


def buttons(count: int, start: int = 0) -> list[Op]:
    numbers = range(start, start + count)
    return [("button", {"text": f"t{n}", "callback_data": f"c:{n}"}) for n in numbers]


# Call patterns of the screens (handlers/): menus, pagers, dialogs, attached navigation.
PATTERNS: dict[str, list[Op]] = {
    "empty": [],
    "one button": buttons(1),
    "nine buttons wrap at eight": buttons(9),
    "main menu (2, 2, 2, 1)": [*buttons(7), ("adjust", (2, 2, 2, 1), False)],
    "goods menu (2, 1)": [*buttons(3), ("adjust", (2, 1), False)],
    "last size goes on": [*buttons(9), ("adjust", (1, 3), False)],
    "sizes longer than the buttons": [*buttons(3), ("adjust", (2, 2, 2, 1), False)],
    "adjust with no sizes": [*buttons(11), ("adjust", (), False)],
    "adjust one": [*buttons(5), ("adjust", (1,), False)],
    "repeat (2, 3)": [*buttons(11), ("adjust", (2, 3), True)],
    "repeat (1, 2, 3) exact": [*buttons(12), ("adjust", (1, 2, 3), True)],
    "repeat a single size": [*buttons(7), ("adjust", (3,), True)],
    "orders list (1 x n, nav, 1)": [*buttons(7), ("adjust", (1, 1, 1, 1, 2, 1), False)],
    "profile (2, 2, 1, 2, 1, 1, 1)": [*buttons(10), ("adjust", (2, 2, 1, 2, 1, 1, 1), False)],
    "rows after adjust": [
        *buttons(5),
        ("adjust", (2,), False),
        ("row", [90, 91, 92]),
        ("row", [93]),
    ],
    "buttons after adjust fill the last row": [
        *buttons(5),
        ("adjust", (2,), False),
        *buttons(4, 10),
    ],
    "add after a short row": [("row", [1, 2]), ("add", [3, 4, 5, 6, 7, 8, 9, 10, 11])],
    "add after a full row": [("row", [1, 2, 3, 4, 5, 6, 7, 8]), ("add", [9])],
    "add nothing": [("row", [1]), ("add", [])],
    "row of nothing": [*buttons(2), ("row", [])],
    "long row splits": [("row", list(range(19)))],
    "adjust re-cuts rows": [("row", [1, 2]), ("row", [3, 4, 5]), ("adjust", (4, 1), False)],
    "adjust twice": [*buttons(9), ("adjust", (3,), False), ("adjust", (2, 4), True)],
    "attach": [*buttons(3), ("attach", [*buttons(2, 10), ("adjust", (1,), False)])],
    "attach then add fills attached row": [
        *buttons(1),
        ("attach", [("row", [5, 6])]),
        *buttons(2, 20),
    ],
    "attach after adjust, then adjust all": [
        *buttons(4),
        ("adjust", (3,), False),
        ("attach", [*buttons(3, 10)]),
        ("adjust", (2, 1), True),
    ],
    "attach an empty keyboard": [*buttons(2), ("attach", [])],
    "a hundred buttons": [*buttons(100), ("adjust", (5, 3), True)],
    "every kind of button": [
        ("button", {"text": "cb", "callback_data": ItemCb(a="open", id=7)}),
        ("button", {"text": "url", "url": "https://example.com/x?y=1"}),
        ("button", {"text": "pay", "pay": True}),
        ("button", {"text": "inline", "switch_inline_query": "tea"}),
        ("button", {"text": "here", "switch_inline_query_current_chat": ""}),
        (
            "button",
            {
                "text": "chosen",
                "switch_inline_query_chosen_chat": SwitchInlineQueryChosenChat(
                    query="q", allow_user_chats=True
                ),
            },
        ),
        ("button", {"text": "app", "web_app": WebAppInfo(url="https://example.com/app")}),
        ("button", {"text": "copy", "copy_text": CopyTextButton(text="PROMO10")}),
        ("button", {"text": "login", "login_url": LoginUrl(url="https://example.com/login")}),
        ("button", {"text": "game", "callback_game": CallbackGame()}),
        ("adjust", (2, 1), True),
    ],
}


@pytest.mark.parametrize("ops", PATTERNS.values(), ids=PATTERNS.keys())
def test_same_markup_as_aiogram(ops: list[Op]) -> None:
    assert_same(*build_both(ops))


def test_callback_data_is_packed_like_aiogram() -> None:
    ours, theirs = build_both([("button", {"text": "x", "callback_data": ItemCb(a="o", id=3)})])
    assert ours.inline_keyboard[0][0].callback_data == "it:o:3"
    assert_same(ours, theirs)


def _text_button(n: int, suffix: str) -> Op:
    return ("button", {"text": f"t{n}", "callback_data": f"c:{n}:{suffix}"})


# Random call sequences: buttons, add, row, adjust (with and without repeat), attach.
_sizes = st.lists(st.integers(1, 8), max_size=6).map(tuple)
_numbers = st.lists(st.integers(0, 999), max_size=12)
_flat_op = st.one_of(
    st.builds(_text_button, st.integers(0, 999), st.text(max_size=4)),
    st.tuples(st.just("add"), _numbers),
    st.tuples(st.just("row"), _numbers),
    st.tuples(st.just("adjust"), _sizes, st.booleans()),
)
_op = st.one_of(_flat_op, st.tuples(st.just("attach"), st.lists(_flat_op, max_size=4)))


def _count(builder: Builder) -> int:
    return sum(len(row) for row in builder.export())


@settings(max_examples=200, deadline=None)
@given(st.lists(_op, max_size=12))
def test_random_call_sequences_build_what_aiogram_builds(ops: list[Op]) -> None:
    ours: InlineKeyboard = InlineKeyboard()
    theirs: InlineKeyboardBuilder = InlineKeyboardBuilder()
    for op in ops:
        apply(theirs, [op], InlineKeyboardBuilder)
        if _count(theirs) > 100:  # aiogram builds it; Telegram would refuse it: we refuse it
            with pytest.raises(ValueError, match="at most 100"):
                apply(ours, [op], InlineKeyboard)
            return
        apply(ours, [op], InlineKeyboard)
        assert ours.export() == theirs.export()
    assert_same(ours.as_markup(), theirs.as_markup())


# ---------------------------------------------------------------- limits
def test_rows_never_exceed_eight() -> None:
    kb = InlineKeyboard().row(*map(_button, range(20))).add(*map(_button, range(20, 33)))
    assert [len(row) for row in kb.export()] == [8, 8, 8, 8, 1]
    for size in (0, 9, -1):
        with pytest.raises(ValueError, match="row size"):
            kb.adjust(size)
    with pytest.raises(ValueError, match="row sizes are ints"):
        kb.adjust(2.0)  # type: ignore[arg-type]
    # Every size is checked, even one the buttons would not reach (aiogram checks lazily).
    with pytest.raises(ValueError, match="row size 9"):
        InlineKeyboard().button(text="a", callback_data="a").adjust(1, 9)
    assert [len(row) for row in kb.export()] == [8, 8, 8, 8, 1]  # a refused adjust changes nothing


def test_at_most_a_hundred_buttons() -> None:
    kb = InlineKeyboard()
    for n in range(100):
        kb.button(text=str(n), callback_data=str(n))
    refusals: list[Callable[[], object]] = [
        lambda: kb.button(text="x", callback_data="x"),
        lambda: kb.add(_button(1)),
        lambda: kb.row(_button(1)),
        lambda: kb.attach(InlineKeyboard().button(text="x", callback_data="x")),
    ]
    for refused in refusals:
        with pytest.raises(ValueError, match="at most 100"):
            refused()
    assert sum(len(row) for row in kb.export()) == 100
    kb.attach(InlineKeyboard())  # nothing more: fine


def test_callback_data_of_one_to_sixty_four_bytes() -> None:
    kb = InlineKeyboard()
    kb.button(text="a", callback_data="x" * 64)
    kb.button(text="b", callback_data="é" * 32)  # 64 bytes in UTF-8
    for data in ("", "x" * 65, "é" * 33):
        with pytest.raises(ValueError, match="Telegram takes 1-64"):
            kb.button(text="c", callback_data=data)
        with pytest.raises(ValueError, match="Telegram takes 1-64"):
            kb.row(InlineKeyboardButton(text="c", callback_data=data))
    with pytest.raises(ValueError):  # CallbackData.pack() refuses it first
        kb.button(text="d", callback_data=ItemCb(a="x" * 70))
    assert len(kb.export()[0]) == 2


def test_only_inline_buttons_and_keyboards() -> None:
    from aiogram.types import KeyboardButton

    with pytest.raises(ValueError, match="InlineKeyboardButton"):
        InlineKeyboard().add(KeyboardButton(text="x"))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="only an InlineKeyboard"):
        InlineKeyboard().attach(InlineKeyboardBuilder())  # type: ignore[arg-type]


# ---------------------------------------------------------------- no copies
def test_buttons_are_never_copied_and_exports_are_independent() -> None:
    first, second = _button(1), _button(2)
    kb = InlineKeyboard().add(first).row(second)
    markup = kb.as_markup()
    assert markup.inline_keyboard[0][0] is first and markup.inline_keyboard[1][0] is second
    exported = kb.export()
    exported[0].append(_button(3))
    exported.append([_button(4)])
    assert kb.export() == [[first], [second]]  # the builder's rows are its own
    other = InlineKeyboard().add(_button(5))
    kb.attach(other)
    kb.add(_button(6))  # fills the attached row here, not in `other`
    assert [[b.text for b in row] for row in other.export()] == [["b5"]]
    assert [[b.text for b in row] for row in kb.export()] == [["b1"], ["b2"], ["b5", "b6"]]


# ---------------------------------------------------------------- one factory per button
ROOT = Path(__file__).resolve().parents[2]


def _hand_written(value: ast.expr) -> bool:
    """A literal string, an f-string, or a `"...".format(...)` of one."""
    if isinstance(value, ast.Constant) and isinstance(value.value, str):
        return True
    if isinstance(value, ast.JoinedStr):
        return True
    return (
        isinstance(value, ast.Call)
        and isinstance(value.func, ast.Attribute)
        and value.func.attr == "format"
        and isinstance(value.func.value, ast.Constant)
    )


def test_buttons_and_routers_share_callback_data_factories() -> None:
    """Every button's data comes from a CallbackData factory (never a hand-written string), and
    no router matches raw data (`F.data...`): sender and router use the same factory, so the
    two can't drift apart."""
    found = []
    for package in ("handlers", "bot", "web"):
        for path in sorted((ROOT / package).rglob("*.py")):
            module = ast.parse(path.read_text(encoding="utf-8"))
            where = path.relative_to(ROOT)
            for node in ast.walk(module):
                if isinstance(node, ast.Call):
                    found += [
                        f"{where}:{node.lineno} callback_data={ast.unparse(kw.value)}"
                        for kw in node.keywords
                        if kw.arg == "callback_data" and _hand_written(kw.value)
                    ]
                if (
                    isinstance(node, ast.Attribute)
                    and node.attr == "data"
                    and isinstance(node.value, ast.Name)
                    and node.value.id == "F"
                ):
                    found.append(f"{where}:{node.lineno} matches F.data")
    assert found == []


def test_every_factory_has_its_own_prefix() -> None:
    from handlers import get_routers

    get_routers()  # imports every router module, and with them every factory
    owners: dict[str, list[str]] = {}
    pending = list(CallbackData.__subclasses__())
    while pending:
        factory = pending.pop()
        pending += factory.__subclasses__()
        if factory.__module__.startswith(("handlers.", "bot.", "web.")):
            owners.setdefault(factory.__prefix__, []).append(factory.__qualname__)
    assert {prefix: names for prefix, names in owners.items() if len(names) > 1} == {}
    assert {"adm", "cart", "pc"} <= set(owners)


async def test_the_owners_only_answer_takes_the_admin_screens_presses() -> None:
    """handlers/admin/denied.py: its prefixes come from the factories (they were a hand-written
    list: adm adg adn adc ads adst adly); a manager's press of one gets "owners only"."""
    from aiogram.types import CallbackQuery, User

    from handlers.admin.callbacks import StaffCb
    from handlers.admin.denied import OWNER_BUTTONS, AnyButtonOf

    owners = AnyButtonOf(*OWNER_BUTTONS)
    assert set(owners.prefixes) == {
        *("adm:", "adg:", "adn:", "adc:", "ads:", "adst:", "adly:"),
        "su:",  # the setup checklist (handlers/onboarding)
    }

    def press(data: str | None) -> CallbackQuery:
        user = User(id=1, is_bot=False, first_name="A")
        return CallbackQuery(id="1", from_user=user, chat_instance="c", data=data)

    for data in (StaffCb(act="add").pack(), "adst:add:0:1", "adm:staff", "adg:zz:1:x:y"):
        assert await owners(press(data)), data
    for data in ("ad:add", "adcp:1", "adst", "cart:add:1:0", "", None):  # not theirs
        assert not await owners(press(data)), data
