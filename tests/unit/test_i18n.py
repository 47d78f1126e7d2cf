"""Every text the code can show has a Chinese translation with the same placeholders."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from bot.i18n import LOCALES_DIR, build_i18n

ROOT = Path(__file__).resolve().parents[2]
PLACEHOLDER = re.compile(r"\{[a-z_]+\}")
TAG = re.compile(r"</?[a-z]+>")


@pytest.fixture(scope="module")
def code_msgids(tmp_path_factory: pytest.TempPathFactory) -> set[str]:
    pot = tmp_path_factory.mktemp("pot") / "kiosk.pot"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "babel.messages.frontend",
            "extract",
            "-F",
            "babel.cfg",
            "-k",
            "_",
            "-k",
            "N_",
            "--no-location",
            "-o",
            str(pot),
            "bot",
            "handlers",
            "domain",
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    with pot.open("rb") as fp:
        return {m.id for m in read_po(fp) if m.id}


def _catalog(lang: str) -> dict[str, str]:
    """All .po files of a language merged, as the bot loads them."""
    merged: dict[str, str] = {}
    for path in sorted((LOCALES_DIR / lang / "LC_MESSAGES").glob("*.po")):
        with path.open("rb") as fp:
            merged.update({m.id: m.string for m in read_po(fp) if m.id and m.string})
    return merged


def test_every_text_in_the_code_is_translated_to_chinese(code_msgids: set[str]) -> None:
    zh = _catalog("zh")
    missing = sorted(m for m in code_msgids if not zh.get(m))
    assert missing == [], f"run scripts/i18n.sh and translate: {missing}"


def test_translations_keep_placeholders_and_tags() -> None:
    for msgid, msgstr in _catalog("zh").items():
        assert sorted(PLACEHOLDER.findall(msgid)) == sorted(PLACEHOLDER.findall(msgstr)), msgid
        assert TAG.findall(msgid) == TAG.findall(msgstr), msgid


def test_runtime_catalogue_translates() -> None:
    i18n = build_i18n("en")
    assert set(i18n.available_locales) >= {"en", "zh"}
    assert i18n.gettext("Cancelled.", locale="zh") == "已取消。"
    assert i18n.gettext("Cancelled.", locale="en") == "Cancelled."
