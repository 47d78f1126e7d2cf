"""Telegram's HTML formatting, checked and previewed without sending anything.

Promotions are written in Telegram's HTML (parse_mode=HTML). Telegram refuses a message whose
markup it can't parse, so the web console checks a text with the same rules before saving it
(the chat composer lets Telegram itself judge a preview) and shows the shopper's view: the
supported tags become their harmless browser equivalents and everything else is escaped, so
a merchant's text can never inject markup into the console.

The rules follow the Bot API's "HTML style": b/strong, i/em, u/ins, s/strike/del,
tg-spoiler (or span class="tg-spoiler"), a href, code, pre, blockquote [expandable],
tg-emoji emoji-id; entities &lt; &gt; &amp; &quot; and numeric ones; every "<" and "&" that
isn't markup must be escaped; tags nest properly.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

from domain.kernel.errors import ValidationError
from domain.kernel.i18n import N_

_TAG_RE = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)((?:\s+[^<>]*?)?)\s*/?>")
_ATTR_RE = re.compile(r"""\s*([a-zA-Z_-]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+)))?""")
_ENTITY_RE = re.compile(r"&(#x[0-9a-fA-F]{1,6}|#[0-9]{1,7}|[a-zA-Z]+);")
_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_SAFE_LINK = re.compile(r"^(https?://|tg://|mailto:)", re.IGNORECASE)

# Telegram tag -> (browser tag, class) used by the preview
_TAGS: dict[str, tuple[str, str]] = {
    "b": ("b", ""),
    "strong": ("b", ""),
    "i": ("i", ""),
    "em": ("i", ""),
    "u": ("u", ""),
    "ins": ("u", ""),
    "s": ("s", ""),
    "strike": ("s", ""),
    "del": ("s", ""),
    "tg-spoiler": ("span", "tg-spoiler"),
    "span": ("span", "tg-spoiler"),
    "a": ("a", ""),
    "code": ("code", ""),
    "pre": ("pre", ""),
    "blockquote": ("blockquote", ""),
    "tg-emoji": ("span", "tg-emoji"),
}
SUPPORTED_TAGS = "b, i, u, s, a, code, pre, blockquote, tg-spoiler"


class MarkupError(ValidationError):
    """The text's formatting is something Telegram would refuse."""


@dataclass(frozen=True, slots=True)
class _Tag:
    name: str
    closing: bool
    attrs: dict[str, str]


def _attrs(raw: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for match in _ATTR_RE.finditer(raw):
        if match.group(1):
            value = next((g for g in match.groups()[1:] if g is not None), "")
            found[match.group(1).lower()] = value
    return found


def _text(chunk: str) -> str:
    """Decode entities in plain text; a bare "&" or an unknown entity is refused."""
    out: list[str] = []
    i = 0
    while (j := chunk.find("&", i)) >= 0:
        out.append(chunk[i:j])
        match = _ENTITY_RE.match(chunk, j)
        if match is None or (not match.group(1).startswith("#") and match.group(1) not in _NAMED):
            raise MarkupError(
                N_('Write "&" as &amp; (Telegram reads "&" as the start of an entity).')
            )
        name = match.group(1)
        if name.startswith("#"):
            code = int(name[2:], 16) if name[1:2] in "xX" else int(name[1:])
            if not 0 < code <= 0x10FFFF:
                raise MarkupError(N_("That character code doesn't exist: {code}."), code=name)
            out.append(chr(code))
        else:
            out.append(_NAMED[name])
        i = match.end()
    out.append(chunk[i:])
    return "".join(out)


def _tokens(text: str) -> list[str | _Tag]:
    tokens: list[str | _Tag] = []
    i = 0
    while i < len(text):
        j = text.find("<", i)
        if j < 0:
            j = len(text)
        if j > i:
            tokens.append(_text(text[i:j]))
        if j >= len(text):
            break
        match = _TAG_RE.match(text, j)
        if match is None:
            raise MarkupError(N_('Write "<" as &lt; unless it starts a tag.'))
        name = match.group(2).lower()
        if name not in _TAGS:
            raise MarkupError(
                N_("Telegram doesn't support <{tag}>: use {tags}."),
                tag=name,
                tags=SUPPORTED_TAGS,
            )
        tokens.append(_Tag(name, match.group(1) == "/", _attrs(match.group(3))))
        i = match.end()
    return tokens


def _check_open(tag: _Tag) -> None:
    if tag.name == "span" and tag.attrs.get("class") != "tg-spoiler":
        raise MarkupError(N_('A <span> must be a spoiler: <span class="tg-spoiler">.'))
    if tag.name == "a" and not tag.attrs.get("href", "").strip():
        raise MarkupError(N_('A link needs an address: <a href="https://…">text</a>.'))
    if tag.name == "tg-emoji" and not tag.attrs.get("emoji-id"):
        raise MarkupError(N_('A custom emoji needs its id: <tg-emoji emoji-id="…">.'))


def _open_html(tag: _Tag) -> str:
    element, css = _TAGS[tag.name]
    if tag.name == "a":
        href = _text(tag.attrs.get("href", "")).strip()
        if _SAFE_LINK.match(href):
            safe = html.escape(href, quote=True)
            return f'<a href="{safe}" target="_blank" rel="noopener noreferrer">'
        return '<a class="tg-link">'  # shown as a link, but nothing to follow in the console
    if tag.name == "blockquote" and "expandable" in tag.attrs:
        css = "expandable"
    return f'<{element} class="{css}">' if css else f"<{element}>"


def preview_html(text: str) -> str:
    """The text as the shopper sees it, as safe browser HTML (MarkupError when Telegram would
    refuse it). Line breaks stay newlines: show it with `white-space: pre-wrap`."""
    out: list[str] = []
    stack: list[str] = []
    for token in _tokens(text):
        if isinstance(token, str):
            out.append(html.escape(token, quote=False))
        elif token.closing:
            if not stack or stack[-1] != token.name:
                raise MarkupError(N_("</{tag}> closes a tag that isn't open."), tag=token.name)
            stack.pop()
            out.append(f"</{_TAGS[token.name][0]}>")
        else:
            _check_open(token)
            stack.append(token.name)
            out.append(_open_html(token))
    if stack:
        raise MarkupError(N_("<{tag}> is opened but never closed."), tag=stack[-1])
    return "".join(out)


def check_markup(text: str) -> None:
    """Refuse (MarkupError, translated) what Telegram's HTML parser would refuse."""
    preview_html(text)
