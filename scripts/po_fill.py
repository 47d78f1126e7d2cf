"""Fill untranslated entries of a .po catalogue from a Python dict file (msgid -> msgstr).

python scripts/po_fill.py locales/zh/LC_MESSAGES/kiosk.po translations.py
"""

import runpy
import sys

from babel.messages.pofile import read_po, write_po


def main(po_path: str, table_path: str) -> int:
    table = runpy.run_path(table_path)["ZH"]
    with open(po_path, "rb") as fp:
        catalog = read_po(fp)
    filled = 0
    for message in catalog:
        if message.id and not message.string and message.id in table:
            message.string = table[message.id]
            filled += 1
    with open(po_path, "wb") as fp:
        write_po(fp, catalog, width=99, sort_output=True, omit_header=False)
    print(f"filled {filled}")
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
