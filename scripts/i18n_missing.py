"""Print, as .po entries, every text in the code that has no Chinese translation yet.

    .venv/bin/python scripts/i18n_missing.py >> locales/zh/LC_MESSAGES/<feature>.po

then fill in the msgstr lines. Each feature keeps its own .po file; the bot merges them all.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.i18n import code_msgids, translations


def main() -> int:
    have = translations("zh")
    for msgid in code_msgids():
        if msgid not in have:
            escaped = msgid.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
            print(f'msgid "{escaped}"\nmsgstr ""\n')
    return 0


if __name__ == "__main__":
    sys.exit(main())
