"""Entity parsers for ``parse_mode`` HTML / MarkdownV2 / Markdown, mirroring Telegram's rules.

Telegram measures lengths and entity offsets in UTF-16 code units and refuses malformed markup
with ``can't parse entities: ...``; the bot under test must see the same refusals offline, so
these parsers are deliberately strict rather than forgiving like a browser.
"""

from __future__ import annotations

import re
from typing import Any

from .models import ApiError, bad

Entity = dict[str, Any]


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units (astral characters such as most emoji count twice)."""
    if text.isascii():
        return len(text)
    return len(text.encode("utf-16-le")) // 2


def _err(msg: str) -> ApiError:
    return bad(f"can't parse entities: {msg}")


class _Out:
    """Accumulates plain text while tracking the UTF-16 offset for entities."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.pos = 0
        self.entities: list[Entity] = []

    def add(self, s: str) -> None:
        if s:
            self.parts.append(s)
            self.pos += utf16_len(s)

    def entity(self, kind: str, start: int, **extra: Any) -> None:
        if self.pos > start:
            e: Entity = {"type": kind, "offset": start, "length": self.pos - start}
            e.update({k: v for k, v in extra.items() if v is not None})
            self.entities.append(e)

    def result(self) -> tuple[str, list[Entity]]:
        self.entities.sort(key=lambda e: (e["offset"], -e["length"]))
        return "".join(self.parts), self.entities


# --------------------------------------------------------------------------------------- HTML
_SIMPLE_TAGS = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
    "span": "spoiler",
    "a": "text_link",
    "tg-emoji": "custom_emoji",
}
_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_TAG_RE = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)((?:\s+[^<>]*?)?)\s*>")
_ATTR_RE = re.compile(r"""\s*([a-zA-Z_-]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+)))?""")
_ENT_RE = re.compile(r"&(#x[0-9a-fA-F]+|#[0-9]+|[a-zA-Z]+);")


def _unescape(text: str, base: int) -> str:
    """Decode HTML character references; a bare ``&`` or unknown name is refused."""
    if "&" not in text:
        return text
    out: list[str] = []
    i = 0
    while True:
        j = text.find("&", i)
        if j < 0:
            out.append(text[i:])
            return "".join(out)
        out.append(text[i:j])
        m = _ENT_RE.match(text, j)
        offset = base + len(text[:j].encode())
        if not m:
            raise _err(f"Character entity expected at byte offset {offset}")
        name = m.group(1)
        if name.startswith("#"):
            try:
                code = int(name[2:], 16) if name[1:2] in "xX" else int(name[1:])
                out.append(chr(code))
            except (ValueError, OverflowError):
                raise _err(f"Invalid character entity at byte offset {offset}") from None
        elif name in _NAMED_ENTITIES:
            out.append(_NAMED_ENTITIES[name])
        else:
            raise _err(f'Unsupported HTML entity "{name}" at byte offset {offset}')
        i = m.end()


def _tag_attrs(raw: str) -> dict[str, str]:
    attrs: dict[str, str] = {}
    for m in _ATTR_RE.finditer(raw):
        if m.group(1):
            value = next((g for g in m.groups()[1:] if g is not None), "")
            attrs[m.group(1).lower()] = _unescape(value, 0)
    return attrs


def parse_html(text: str) -> tuple[str, list[Entity]]:
    """Parse Telegram-flavoured HTML into plain text + entities (UTF-16 offsets)."""
    out = _Out()
    stack: list[tuple[str, str, int, dict[str, Any]]] = []  # (tag, kind, start, extra)
    i = 0
    n = len(text)
    while i < n:
        j = text.find("<", i)
        if j < 0:
            j = n
        if j > i:
            out.add(_unescape(text[i:j], len(text[:i].encode())))
        if j >= n:
            break
        offset = len(text[:j].encode())
        m = _TAG_RE.match(text, j)
        if not m:
            raise _err(f"Unsupported start tag at byte offset {offset}")
        closing, tag = m.group(1) == "/", m.group(2).lower()
        if tag not in _SIMPLE_TAGS:
            kind = "end" if closing else "start"
            raise _err(f'Unsupported {kind} tag "{tag}" at byte offset {offset}')
        if closing:
            if not stack or stack[-1][0] != tag:
                raise _err(f"Unexpected end tag at byte offset {offset}")
            _, kind, start, extra = stack.pop()
            _close_html(out, stack, kind, start, extra)
        else:
            stack.append((tag, *_open_html(tag, _tag_attrs(m.group(3)), out.pos, offset)))
        i = m.end()
    if stack:
        raise _err(f'Can\'t find end tag corresponding to start tag "{stack[-1][0]}"')
    return out.result()


def _open_html(
    tag: str, attrs: dict[str, str], pos: int, offset: int
) -> tuple[str, int, dict[str, Any]]:
    kind = _SIMPLE_TAGS[tag]
    extra: dict[str, Any] = {}
    if tag == "span" and attrs.get("class") != "tg-spoiler":
        raise _err(f'Tag "span" must have class "tg-spoiler" at byte offset {offset}')
    if tag == "a":
        href = attrs.get("href", "")
        if not href:
            raise _err(f'Tag "a" must have attribute "href" at byte offset {offset}')
        extra["url"] = href
    if tag == "tg-emoji":
        if not attrs.get("emoji-id"):
            raise _err(f'Tag "tg-emoji" must have attribute "emoji-id" at byte offset {offset}')
        extra["custom_emoji_id"] = attrs["emoji-id"]
    if tag == "code" and attrs.get("class", "").startswith("language-"):
        extra["language"] = attrs["class"][len("language-") :]
    if tag == "blockquote" and "expandable" in attrs:
        kind = "expandable_blockquote"
    return kind, pos, extra


def _close_html(
    out: _Out,
    stack: list[tuple[str, str, int, dict[str, Any]]],
    kind: str,
    start: int,
    extra: dict[str, Any],
) -> None:
    if kind == "code" and stack and stack[-1][1] == "pre" and "language" in extra:
        # <pre><code class="language-x"> is one pre entity with a language
        stack[-1][3]["language"] = extra["language"]
        return
    if kind == "code":
        extra = {}
    out.entity(kind, start, **extra)


# ---------------------------------------------------------------------------------- MarkdownV2
RESERVED_V2 = set("_*[]()~`>#+-=|{}.!")
_V2_NAMES = {
    "*": "Bold",
    "_": "Italic",
    "__": "Underline",
    "~": "Strikethrough",
    "||": "Spoiler",
    "[": "TextUrl",
}
_V2_KINDS = {"*": "bold", "_": "italic", "__": "underline", "~": "strikethrough", "||": "spoiler"}


def parse_markdown_v2(text: str) -> tuple[str, list[Entity]]:
    """Parse MarkdownV2: every reserved character outside markup must be backslash-escaped."""
    out = _Out()
    stack: list[tuple[str, int, int]] = []  # (marker, start_pos, byte_offset)
    quote_start: int | None = None
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        byte_off = len(text[:i].encode())
        if (i == 0 or text[i - 1] == "\n") and c == ">":
            if quote_start is None:
                quote_start = out.pos
            i += 1
            continue
        if c == "\n" and quote_start is not None and not text.startswith(">", i + 1):
            out.entity("blockquote", quote_start)
            quote_start = None
        if c == "\r":  # Telegram ignores CR: it disambiguates ___italic underline_\r__
            i += 1
            continue
        if c == "\\":
            if i + 1 >= n or not 1 <= ord(text[i + 1]) <= 126:
                raise _err(
                    "Character '\\' is reserved and must be escaped with the preceding '\\'"
                )
            out.add(text[i + 1])
            i += 2
            continue
        if c == "`":
            i = _v2_code(text, i, out, byte_off)
            continue
        marker = None
        if c == "_":
            marker = "__" if text.startswith("__", i) else "_"
        elif c in "*~":
            marker = c
        elif c == "|" and text.startswith("||", i):
            marker = "||"
        if marker is not None:
            if any(s[0] == marker for s in stack):
                if stack[-1][0] != marker:
                    name = _V2_NAMES.get(stack[-1][0], "entity")
                    raise _err(f"Can't find end of {name} entity at byte offset {stack[-1][2]}")
                _, start, _ = stack.pop()
                out.entity(_V2_KINDS[marker], start)
            else:
                stack.append((marker, out.pos, byte_off))
            i += len(marker)
            continue
        if c == "[" or (c == "!" and text.startswith("![", i)):
            stack.append(("![" if c == "!" else "[", out.pos, byte_off))
            i += 2 if c == "!" else 1
            continue
        if c == "]" and stack and stack[-1][0] in ("[", "!["):
            marker, start, _ = stack.pop()
            if not text.startswith("(", i + 1):
                raise _err(f"Can't find end of a URL at byte offset {byte_off}")
            url, i = _v2_url(text, i + 2, byte_off)
            if marker == "![":
                emoji_id = url.partition("id=")[2]
                out.entity("custom_emoji", start, custom_emoji_id=emoji_id)
            else:
                out.entity("text_link", start, url=url)
            continue
        if c in RESERVED_V2:
            raise _err(f"Character '{c}' is reserved and must be escaped with the preceding '\\'")
        out.add(c)
        i += 1
    if stack:
        marker, _, off = stack[-1]
        raise _err(
            f"Can't find end of {_V2_NAMES.get(marker, 'entity')} entity at byte offset {off}"
        )
    if quote_start is not None:
        out.entity("blockquote", quote_start)
    return out.result()


def _v2_code(text: str, i: int, out: _Out, byte_off: int) -> int:
    """Consume `code` or ```pre``` starting at ``i``; only ` and \\ are escaped inside."""
    is_pre = text.startswith("```", i)
    j = i + (3 if is_pre else 1)
    language = None
    if is_pre:
        nl = text.find("\n", j)
        first = text[j:nl] if nl >= 0 else ""
        if nl >= 0 and first and re.fullmatch(r"[\w+#.-]+", first):
            language, j = first, nl + 1
    start = out.pos
    buf: list[str] = []
    while j < len(text):
        ch = text[j]
        if ch == "\\" and j + 1 < len(text):
            buf.append(text[j + 1])
            j += 2
            continue
        if ch == "`":
            if is_pre and not text.startswith("```", j):
                buf.append(ch)
                j += 1
                continue
            out.add("".join(buf))
            out.entity("pre" if is_pre else "code", start, language=language)
            return j + (3 if is_pre else 1)
        buf.append(ch)
        j += 1
    name = "Pre" if is_pre else "Code"
    raise _err(f"Can't find end of {name} entity at byte offset {byte_off}")


def _v2_url(text: str, j: int, byte_off: int) -> tuple[str, int]:
    buf: list[str] = []
    while j < len(text):
        ch = text[j]
        if ch == "\\" and j + 1 < len(text):
            buf.append(text[j + 1])
            j += 2
            continue
        if ch == ")":
            return "".join(buf), j + 1
        buf.append(ch)
        j += 1
    raise _err(f"Can't find end of a URL at byte offset {byte_off}")


# --------------------------------------------------------------------------- legacy Markdown
_LEGACY = {"*": "bold", "_": "italic"}


def parse_markdown(text: str) -> tuple[str, list[Entity]]:
    """Legacy Markdown: *bold* _italic_ `code` ```pre``` [text](url); no nesting."""
    out = _Out()
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        byte_off = len(text[:i].encode())
        if c == "\\" and i + 1 < n and text[i + 1] in "*_`[":
            out.add(text[i + 1])
            i += 2
        elif c in _LEGACY:
            j = text.find(c, i + 1)
            if j < 0:
                raise _err(f"Can't find end of the entity starting at byte offset {byte_off}")
            start = out.pos
            out.add(text[i + 1 : j])
            out.entity(_LEGACY[c], start)
            i = j + 1
        elif c == "`":
            fence = "```" if text.startswith("```", i) else "`"
            j = text.find(fence, i + len(fence))
            if j < 0:
                raise _err(f"Can't find end of the entity starting at byte offset {byte_off}")
            start = out.pos
            out.add(text[i + len(fence) : j])
            out.entity("pre" if fence == "```" else "code", start)
            i = j + len(fence)
        elif c == "[":
            m = re.compile(r"\[([^\]]*)\]\(([^)]*)\)").match(text, i)
            if not m:
                raise _err(f"Can't find end of the entity starting at byte offset {byte_off}")
            start = out.pos
            out.add(m.group(1))
            out.entity("text_link", start, url=m.group(2))
            i = m.end()
        else:
            out.add(c)
            i += 1
    return out.result()


def parse_text(text: str, parse_mode: str | None) -> tuple[str, list[Entity] | None]:
    """Dispatch on ``parse_mode`` (case-insensitive like Telegram); None means plain text."""
    mode = (parse_mode or "").lower()
    if not mode:
        return text, None
    if mode == "html":
        plain, ents = parse_html(text)
    elif mode == "markdownv2":
        plain, ents = parse_markdown_v2(text)
    elif mode == "markdown":
        plain, ents = parse_markdown(text)
    else:
        raise bad("unsupported parse_mode")
    return plain, ents or None
