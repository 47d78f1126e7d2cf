"""Print, as .po entries, every text in the code that has no Chinese translation yet.

    .venv/bin/python scripts/i18n_missing.py >> locales/zh/LC_MESSAGES/<feature>.po

then fill in the msgstr lines. Each feature keeps its own .po file; the bot merges them all.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ["bot", "handlers", "domain"]


def code_msgids() -> list[str]:
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
                *SOURCES,
            ],
            cwd=ROOT,
            check=True,
            capture_output=True,
        )
        with pot.open("rb") as fp:
            return [m.id for m in read_po(fp) if m.id]


def translated(lang: str) -> set[str]:
    done: set[str] = set()
    for path in (ROOT / "locales" / lang / "LC_MESSAGES").glob("*.po"):
        with path.open("rb") as fp:
            done |= {m.id for m in read_po(fp) if m.id and m.string}
    return done


def main() -> int:
    have = translated("zh")
    for msgid in code_msgids():
        if msgid not in have:
            escaped = msgid.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
            print(f'msgid "{escaped}"\nmsgstr ""\n')
    return 0


if __name__ == "__main__":
    sys.exit(main())
