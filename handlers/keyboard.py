"""The inline keyboard builder every screen uses: aiogram's, without its deep copies."""

from __future__ import annotations

from aiogram.types import InlineKeyboardButton
from aiogram.utils.keyboard import InlineKeyboardBuilder


class InlineKeyboard(InlineKeyboardBuilder):
    """aiogram's builder deep-copies the whole markup on every `button()`/`add()` and again
    on `as_markup()`: a screen of 10 buttons made ~100 deep copies of pydantic models, a
    tenth of the bot's CPU under load (bench/throughput.py --profile). Rows are copied
    shallowly instead: buttons are never changed after they are added."""

    def export(self) -> list[list[InlineKeyboardButton]]:
        return [list(row) for row in self._markup]
