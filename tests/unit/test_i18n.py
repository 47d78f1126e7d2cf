"""Every text the code can show has a Chinese translation with the same placeholders."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.i18n import PoI18n, build_i18n, code_msgids, translations

ROOT = Path(__file__).resolve().parents[2]
PLACEHOLDER = re.compile(r"\{[a-z_]+\}")
TAG = re.compile(r"</?[a-z]+>")


@pytest.fixture(scope="module")
def code_ids() -> set[str]:
    return set(code_msgids())


def _catalog(lang: str) -> dict[str, str]:
    return translations(lang)


def test_every_text_in_the_code_is_translated_to_chinese(code_ids: set[str]) -> None:
    zh = _catalog("zh")
    missing = sorted(m for m in code_ids if not zh.get(m))
    assert missing == [], f"add Chinese translations (scripts/i18n_missing.py): {missing}"


def test_translations_keep_placeholders_and_tags() -> None:
    for msgid, msgstr in _catalog("zh").items():
        assert sorted(PLACEHOLDER.findall(msgid)) == sorted(PLACEHOLDER.findall(msgstr)), msgid
        assert TAG.findall(msgid) == TAG.findall(msgstr), msgid


def test_runtime_catalogue_translates() -> None:
    i18n = build_i18n("en")
    assert set(i18n.available_locales) >= {"en", "zh"}
    assert i18n.gettext("Cancelled.", locale="zh") == "已取消。"
    assert i18n.gettext("Cancelled.", locale="en") == "Cancelled."


def test_only_folders_with_catalogues_are_languages(tmp_path: Path) -> None:
    # An installed wheel has locales/__pycache__ beside en/ and zh/: it is not a language.
    (tmp_path / "en" / "LC_MESSAGES").mkdir(parents=True)
    (tmp_path / "en" / "LC_MESSAGES" / "kiosk.po").write_text(
        'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n', encoding="utf-8"
    )
    (tmp_path / "__pycache__").mkdir()
    assert PoI18n(path=tmp_path, default_locale="en", domain="kiosk").available_locales == ("en",)
