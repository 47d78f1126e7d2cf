"""Property tests: text escaped or decorated by aiogram parses back to itself."""

from __future__ import annotations

from aiogram.types import MessageEntity
from aiogram.utils.text_decorations import html_decoration, markdown_decoration
from hypothesis import given, settings
from hypothesis import strategies as st

from sandbox.textparse import parse_html, parse_markdown_v2, utf16_len

# no surrogates (not encodable) and no CR: MarkdownV2 ignores CR by design
texts = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="\r"), max_size=60
)


@settings(max_examples=200, deadline=None)
@given(texts)
def test_quoted_text_round_trips(text: str) -> None:
    assert parse_html(html_decoration.quote(text)) == (text, [])
    assert parse_markdown_v2(markdown_decoration.quote(text)) == (text, [])


@settings(max_examples=200, deadline=None)
@given(
    texts,
    st.data(),
    st.sampled_from(["bold", "italic", "underline", "strikethrough", "spoiler", "code"]),
)
def test_decorated_entity_round_trips(text: str, data: st.DataObject, kind: str) -> None:
    size = utf16_len(text)
    # entity boundaries must not split a surrogate pair
    cuts = [0]
    for ch in text:
        cuts.append(cuts[-1] + utf16_len(ch))
    start = data.draw(st.sampled_from(cuts))
    end = data.draw(st.sampled_from([c for c in cuts if c > start] or [start]))
    if end == start or size == 0:
        return
    entity = MessageEntity(type=kind, offset=start, length=end - start)
    for decoration, parse in (
        (html_decoration, parse_html),
        (markdown_decoration, parse_markdown_v2),
    ):
        plain, entities = parse(decoration.unparse(text, [entity]))
        assert plain == text
        assert entities == [{"type": kind, "offset": start, "length": end - start}]
