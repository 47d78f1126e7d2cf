"""gettext catalogues (locales/<lang>/LC_MESSAGES/kiosk.po) loaded straight from .po files.

Reading the .po with Babel at start-up avoids shipping compiled .mo binaries in the repo and
can't go stale: what translators edit is what runs.
"""

from __future__ import annotations

import gettext
from io import BytesIO
from pathlib import Path

from aiogram.utils.i18n import I18n
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

LOCALES_DIR = Path(__file__).resolve().parent.parent / "locales"
DOMAIN = "kiosk"


class PoI18n(I18n):
    """aiogram's I18n, fed from .po files instead of compiled .mo files."""

    def find_locales(self) -> dict[str, gettext.GNUTranslations]:
        translations: dict[str, gettext.GNUTranslations] = {}
        for folder in sorted(self.path.iterdir()):
            po_path = folder / "LC_MESSAGES" / f"{self.domain}.po"
            if not po_path.exists():
                continue
            with po_path.open("rb") as fp:
                catalog = read_po(fp, locale=folder.name)
            buffer = BytesIO()
            write_mo(buffer, catalog, use_fuzzy=False)
            buffer.seek(0)
            translations[folder.name] = gettext.GNUTranslations(buffer)
        return translations


def build_i18n(default_locale: str = "en") -> PoI18n:
    return PoI18n(path=LOCALES_DIR, default_locale=default_locale, domain=DOMAIN)
