"""bot/lazy_aiogram.py: aiogram imported with deferred builds still builds every model.

Runs in a fresh interpreter, since this test process imported aiogram the usual way already.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

CHECK = """
from bot.runtime.lazy_aiogram import import_aiogram_lazily
assert import_aiogram_lazily()
assert not import_aiogram_lazily()  # a second call does nothing
import aiogram.types as types
from pydantic import BaseModel

update = types.Update.model_validate({
    "update_id": 1,
    "callback_query": {
        "id": "q", "chat_instance": "c", "data": "cc:1:1",
        "from": {"id": 7, "is_bot": False, "first_name": "A"},
        "message": {
            "message_id": 3, "date": 0, "chat": {"id": 7, "type": "private"},
            "text": "hi", "entities": [{"type": "bold", "offset": 0, "length": 2}],
            "reply_markup": {"inline_keyboard": [[{"text": "x", "callback_data": "y"}]]},
        },
    },
})
assert update.callback_query.message.reply_markup.inline_keyboard[0][0].callback_data == "y"
assert types.Message.__pydantic_complete__ is False  # built on first use, not at import
import aiogram.methods as methods

unbuilt = []
everything = [getattr(types, n) for n in types.__all__]
everything += [getattr(methods, n) for n in methods.__all__]
for model in everything:
    if isinstance(model, type) and issubclass(model, BaseModel):
        model.model_rebuild(_parent_namespace_depth=0)  # raises if a reference is unresolved
        if not model.__pydantic_complete__:
            unbuilt.append(model.__name__)
assert not unbuilt, unbuilt
print("ok")
"""


def test_every_aiogram_type_builds_lazily() -> None:
    result = subprocess.run(
        [sys.executable, "-c", CHECK], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


def test_importing_aiogram_first_makes_it_a_no_op() -> None:
    import aiogram  # noqa: F401

    from bot.runtime.lazy_aiogram import import_aiogram_lazily

    assert import_aiogram_lazily() is False
