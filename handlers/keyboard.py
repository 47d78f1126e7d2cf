"""The inline keyboard builder every screen uses: aiogram's builder API, on public types only.

aiogram's `InlineKeyboardBuilder` deep-copies the whole markup on every `button()`/`add()`
and again on `as_markup()`: a screen of 10 buttons made ~100 deep copies of pydantic models,
a tenth of the bot's CPU under load (bench/throughput.py --profile). This builder offers the
part of its API the screens use, with the same output for the same calls
(tests/unit/test_keyboard.py compares the two), and never copies a button: buttons are not
changed after they are added, so rows are copied shallowly.

Telegram's limits are checked as buttons come in, so a wrong keyboard fails where it is built
rather than as a refused message: at most 8 buttons a row (`row()` and `add()` wrap longer
runs, as aiogram does), 100 in all, callback data of 1-64 bytes.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any, Self

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

MAX_ROW = 8  # buttons a row (aiogram's InlineKeyboardBuilder.max_width)
MAX_BUTTONS = 100  # buttons a keyboard (aiogram's InlineKeyboardBuilder.max_buttons)
MAX_CALLBACK_BYTES = 64  # core.telegram.org/bots/api#inlinekeyboardbutton


class InlineKeyboard:
    """Rows of inline buttons: `button()`/`add()` fill the last row up to 8, `row()` starts
    new rows, `adjust()` re-cuts every button into rows of the given sizes, `attach()` appends
    another keyboard's rows; `as_markup()` is the finished `InlineKeyboardMarkup`."""

    __slots__ = ("_rows",)

    def __init__(self) -> None:
        self._rows: list[list[InlineKeyboardButton]] = []

    def button(
        self,
        *,
        text: str,
        callback_data: str | CallbackData | None = None,
        url: str | None = None,
        web_app: WebAppInfo | None = None,
        login_url: LoginUrl | None = None,
        switch_inline_query: str | None = None,
        switch_inline_query_current_chat: str | None = None,
        switch_inline_query_chosen_chat: SwitchInlineQueryChosenChat | None = None,
        copy_text: CopyTextButton | None = None,
        callback_game: CallbackGame | None = None,
        pay: bool | None = None,
        icon_custom_emoji_id: str | None = None,
        style: str | None = None,
        **kwargs: Any,
    ) -> Self:
        """Add one button (after the last one, on a new row once the last has 8)."""
        if isinstance(callback_data, CallbackData):
            callback_data = callback_data.pack()
        # Every field passed, as aiogram's builder does: the same button, down to which of its
        # fields count as set.
        button = InlineKeyboardButton(
            text=text,
            icon_custom_emoji_id=icon_custom_emoji_id,
            style=style,
            url=url,
            callback_data=callback_data,
            web_app=web_app,
            login_url=login_url,
            switch_inline_query=switch_inline_query,
            switch_inline_query_current_chat=switch_inline_query_current_chat,
            switch_inline_query_chosen_chat=switch_inline_query_chosen_chat,
            copy_text=copy_text,
            callback_game=callback_game,
            pay=pay,
            **kwargs,
        )
        return self.add(button)

    def add(self, *buttons: InlineKeyboardButton) -> Self:
        """Add buttons after the last one: the last row is filled up to 8, then new rows of 8."""
        self._check_buttons(buttons)
        rest = list(buttons)
        if self._rows and len(self._rows[-1]) < MAX_ROW:
            room = MAX_ROW - len(self._rows[-1])
            self._rows[-1].extend(rest[:room])
            rest = rest[room:]
        self._rows.extend(_cut(rest, itertools.repeat(MAX_ROW)))
        return self

    def row(self, *buttons: InlineKeyboardButton) -> Self:
        """Add buttons on a new row (several rows of 8 if there are more than 8)."""
        self._check_buttons(buttons)
        self._rows.extend(_cut(list(buttons), itertools.repeat(MAX_ROW)))
        return self

    def adjust(self, *sizes: int, repeat: bool = False) -> Self:
        """Re-cut every button added so far into rows of `sizes` (default 8): the last size
        goes on for the remaining buttons, or with `repeat=True` the sizes start over."""
        sizes = sizes or (MAX_ROW,)
        for size in sizes:  # all of them, at once (aiogram checks each when it is reached)
            _check_width(size)
        pattern = (
            itertools.cycle(sizes)
            if repeat
            else itertools.chain(sizes, itertools.repeat(sizes[-1]))
        )
        self._rows = _cut([button for row in self._rows for button in row], pattern)
        return self

    def attach(self, other: InlineKeyboard) -> Self:
        """Append the rows of another keyboard (as they are: no re-cutting)."""
        if not isinstance(other, InlineKeyboard):
            raise ValueError(f"only an InlineKeyboard can be attached, not {type(other).__name__}")
        rows = other.export()
        self._check_total(sum(len(row) for row in rows))
        self._rows.extend(rows)
        return self

    def export(self) -> list[list[InlineKeyboardButton]]:
        """The rows so far: new lists, the same button objects."""
        return [list(row) for row in self._rows]

    def as_markup(self) -> InlineKeyboardMarkup:
        return InlineKeyboardMarkup(inline_keyboard=self.export())

    def _check_buttons(self, buttons: tuple[InlineKeyboardButton, ...]) -> None:
        for button in buttons:
            if not isinstance(button, InlineKeyboardButton):
                raise ValueError(
                    f"{button!r} should be an InlineKeyboardButton, not {type(button).__name__}"
                )
            data = button.callback_data
            if data is not None and not 1 <= len(data.encode()) <= MAX_CALLBACK_BYTES:
                raise ValueError(
                    f"callback_data {data!r} is {len(data.encode())} bytes: Telegram takes "
                    f"1-{MAX_CALLBACK_BYTES}"
                )
        self._check_total(len(buttons))

    def _check_total(self, more: int) -> None:
        total = sum(len(row) for row in self._rows) + more
        if total > MAX_BUTTONS:
            raise ValueError(f"{total} buttons: an inline keyboard holds at most {MAX_BUTTONS}")


def _check_width(size: object) -> None:
    if not isinstance(size, int) or isinstance(size, bool):
        raise ValueError(f"row sizes are ints, not {size!r}")
    if not 1 <= size <= MAX_ROW:
        raise ValueError(f"row size {size} is not allowed: 1-{MAX_ROW}")


def _cut(
    buttons: list[InlineKeyboardButton], sizes: Iterator[int]
) -> list[list[InlineKeyboardButton]]:
    """Consecutive rows of the given sizes; the last row takes what is left."""
    rows = []
    start = 0
    while start < len(buttons):
        size = next(sizes)
        rows.append(buttons[start : start + size])
        start += size
    return rows
