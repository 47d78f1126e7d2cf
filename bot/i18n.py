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
        loaded: dict[str, gettext.GNUTranslations] = {}
        # A language is a folder with LC_MESSAGES (not the package's __pycache__).
        for folder in sorted(p for p in self.path.iterdir() if (p / "LC_MESSAGES").is_dir()):
            catalog = Catalog(locale=folder.name, domain=self.domain)
            for msgid, msgstr in translations(folder.name, self.path).items():
                catalog.add(msgid, msgstr)
            buffer = BytesIO()
            write_mo(buffer, catalog, use_fuzzy=False)
            buffer.seek(0)
            loaded[folder.name] = gettext.GNUTranslations(buffer)
        return loaded


def build_i18n(default_locale: str = "en") -> PoI18n:
    return PoI18n(path=LOCALES_DIR, default_locale=default_locale, domain=DOMAIN)


def code_msgids(root: Path = LOCALES_DIR.parent) -> list[str]:
    """Every translatable text in the code (`_()` and `N_()` calls), as Babel extracts them."""
    import subprocess
    import sys
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        pot = Path(tmp) / "kiosk.pot"
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
                "--sort-output",
                "-o",
                str(pot),
                "bot",
                "handlers",
                "domain",
                "web",  # its templates' texts: tests/web/test_api_entry_points.py
            ],
            cwd=root,
            check=True,
            capture_output=True,
        )
        with pot.open("rb") as fp:
            # Plural entries (id and string are tuples) don't occur: Kiosk uses no ngettext.
            return [m.id for m in read_po(fp) if isinstance(m.id, str) and m.id]


def translations(lang: str, locales_dir: Path = LOCALES_DIR) -> dict[str, str]:
    """All .po files of a language merged (untranslated entries left out)."""
    merged: dict[str, str] = {}
    for path in sorted((locales_dir / lang / "LC_MESSAGES").glob("*.po")):
        with path.open("rb") as fp:
            merged.update(
                {
                    m.id: m.string
                    for m in read_po(fp)
                    if isinstance(m.id, str) and isinstance(m.string, str) and m.id and m.string
                }
            )
    return merged
