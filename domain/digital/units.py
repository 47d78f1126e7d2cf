"""Digital units and the parsing of what a merchant sends to add them.

Every import is all or nothing: `parse_codes` refuses the whole paste or document with the first
problem it finds (an empty line, a repeated code, an over-long line, a file that isn't text or
is too big), naming the line, and storage refuses the whole batch when any code is already in the
pool. A unit's `key` identifies it for those duplicate checks: a hash of the text, or the
file's Telegram file_unique_id.
"""

from __future__ import annotations

import csv
import hashlib
import io
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from domain.kernel.errors import DomainError, ValidationError
from domain.kernel.i18n import N_

MAX_CODE_LENGTH = 500  # one unit's text; the delivery message must stay within Telegram's 4096
MAX_UNITS_PER_IMPORT = 5000
MAX_DOCUMENT_BYTES = 1024 * 1024  # a list of codes; bigger documents are refused unread
CSV_HEADERS = frozenset({"code", "codes", "key", "keys", "link", "links", "voucher", "unit"})


class PayloadKind(StrEnum):
    TEXT = "text"  # a code, key or link, sent as text
    FILE = "file"  # a Telegram file (its file_id), sent as a document
    PHOTO = "photo"  # a Telegram photo (its file_id), sent as a photo: Telegram refuses a
    # photo's file_id in sendDocument ("type of file mismatch")

    @property
    def is_file(self) -> bool:
        return self is not PayloadKind.TEXT


class UnitStatus(StrEnum):
    AVAILABLE = "available"
    SOLD = "sold"
    REVOKED = "revoked"  # its order was refunded: never sold again


class ImportRefused(ValidationError):
    message = N_("Nothing was added.")


class NotDigital(DomainError):
    message = N_("Codes and files can only be added to a digital product.")


class DuplicateUnits(ValidationError):
    """Some units are in the pool already (raised by storage; nothing was added)."""

    message = N_(
        "{count} of these are already in the pool (for example {example}). "
        "Nothing was added: remove them and send the rest again."
    )


class DuplicateFile(ValidationError):
    message = N_(
        "That file was added before: each file is sold once, to one buyer. Nothing was added."
    )


@dataclass(frozen=True, slots=True)
class UnitDraft:
    kind: PayloadKind
    payload: str  # the text, or the file_id
    key: str  # what makes it a duplicate: text hash or file_unique_id
    file_name: str = ""


@dataclass(frozen=True, slots=True)
class DigitalUnit:
    id: int
    product_id: int
    kind: PayloadKind
    payload: str
    file_name: str
    status: UnitStatus
    order_id: int | None = None
    line: int | None = None  # the order line it was sold for
    sold_at: datetime | None = None
    sent_at: datetime | None = None


def text_key(code: str) -> str:
    return "t:" + hashlib.sha256(code.encode()).hexdigest()[:64]


def text_unit(code: str) -> UnitDraft:
    return UnitDraft(PayloadKind.TEXT, code, text_key(code))


def file_unit(
    file_id: str, file_unique_id: str, file_name: str = "", photo: bool = False
) -> UnitDraft:
    """A document (or, with `photo`, a photo) sent to its buyer as it is."""
    if not file_id or not file_unique_id:
        raise ImportRefused(N_("That message has no file to add."))
    kind = PayloadKind.PHOTO if photo else PayloadKind.FILE
    return UnitDraft(kind, file_id, "f:" + file_unique_id[:76], file_name[:255])


def parse_codes(text: str) -> list[UnitDraft]:
    """One unit per line of a paste (blank lines before and after the list are ignored)."""
    lines = (text or "").replace("\r\n", "\n").replace("\r", "\n").strip().split("\n")
    return _units([(n, line.strip()) for n, line in enumerate(lines, 1)])


def _units(numbered: list[tuple[int, str]]) -> list[UnitDraft]:
    if not numbered or numbered == [(1, "")]:
        raise ImportRefused(N_("There are no codes in that. Send one code per line."))
    if len(numbered) > MAX_UNITS_PER_IMPORT:
        raise ImportRefused(
            N_("That is {count} codes; send at most {limit} at a time. Nothing was added."),
            count=len(numbered),
            limit=MAX_UNITS_PER_IMPORT,
        )
    seen: dict[str, int] = {}
    units = []
    for number, code in numbered:
        if not code:
            raise ImportRefused(
                N_("Line {line} is empty. Remove empty lines and send the codes again."),
                line=number,
            )
        if len(code) > MAX_CODE_LENGTH or any(ord(ch) < 32 and ch != "\t" for ch in code):
            raise ImportRefused(
                N_(
                    "Line {line} is not a code (too long, or control characters). "
                    "Nothing was added."
                ),
                line=number,
            )
        if code in seen:
            raise ImportRefused(
                N_("Line {line} repeats line {first} ({code}). Nothing was added."),
                line=number,
                first=seen[code],
                code=code[:64],
            )
        seen[code] = number
        units.append(text_unit(code))
    return units


def check_document_size(size: int | None) -> None:
    """Refuse a document before downloading it when it can't be a list of codes."""
    if size is not None and size > MAX_DOCUMENT_BYTES:
        raise ImportRefused(
            N_(
                "That file is {size} MB; a list of codes may be at most {limit} MB. "
                "Nothing was added."
            ),
            size=round(size / 1024 / 1024, 1),
            limit=MAX_DOCUMENT_BYTES // 1024 // 1024,
        )


def parse_document(data: bytes, file_name: str) -> list[UnitDraft]:
    """Units from a .txt (one per line) or .csv (the first column; a header row like "code"
    is skipped) document; a binary or non-UTF-8 file is refused."""
    check_document_size(len(data))
    if b"\x00" in data:
        raise ImportRefused(_NOT_TEXT)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ImportRefused(_NOT_TEXT) from None
    if not file_name.lower().endswith(".csv"):
        return parse_codes(text)
    rows = list(csv.reader(io.StringIO(text.strip())))
    numbered = [(n, (row[0] if row else "").strip()) for n, row in enumerate(rows, 1)]
    if numbered and numbered[0][1].casefold() in CSV_HEADERS:
        numbered = numbered[1:]
    return _units(numbered)


_NOT_TEXT = N_(
    "That file isn't a text list of codes (it looks binary). Send a .txt or .csv file in "
    "UTF-8, one code per line. Nothing was added."
)
