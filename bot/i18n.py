"""gettext catalogues (locales/<lang>/LC_MESSAGES/*.po) loaded straight from .po files.

Reading the .po with Babel at start-up avoids shipping compiled .mo binaries in the repo and
can't go stale: what translators edit is what runs. Every .po file of a language is merged, so
each feature keeps its own file (kiosk.po for the core, catalog.po, ...) and features can be
translated independently.
"""

from __future__ import annotations

import gettext
from collections.abc import Iterator
from contextlib import contextmanager
from io import BytesIO
from pathlib import Path

from aiogram.utils.i18n import I18n
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

LOCALES_DIR = Path(__file__).resolve().parent.parent / "locales"
DOMAIN = "kiosk"


class PoI18n(I18n):
    """aiogram's I18n, fed from .po files instead of compiled .mo files."""

    @contextmanager
    def context(self) -> Iterator[I18n]:
        # aiogram's gettext() looks the instance up in I18n's own context variable; a subclass
        # gets a separate one, so register under the base class explicitly.
        token = I18n.set_current(self)
        try:
            yield self
        finally:
            I18n.reset_current(token)

    def find_locales(self) -> dict[str, gettext.GNUTranslations]:
        translations: dict[str, gettext.GNUTranslations] = {}
        for folder in sorted(p for p in self.path.iterdir() if p.is_dir()):
            po_paths = sorted((folder / "LC_MESSAGES").glob("*.po"))
            if not po_paths:
                continue
            catalog = Catalog(locale=folder.name, domain=self.domain)
            for po_path in po_paths:
                with po_path.open("rb") as fp:
                    for message in read_po(fp, locale=folder.name):
                        if message.id and message.string:
                            catalog[message.id] = message
            buffer = BytesIO()
            write_mo(buffer, catalog, use_fuzzy=False)
            buffer.seek(0)
            translations[folder.name] = gettext.GNUTranslations(buffer)
        return translations


def build_i18n(default_locale: str = "en") -> PoI18n:
    return PoI18n(path=LOCALES_DIR, default_locale=default_locale, domain=DOMAIN)
