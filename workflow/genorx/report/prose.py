"""Knowledge-base prose as plain text.

PharmCAT-format guidelines carry recommendation texts as HTML fragments. The therapy table
holds plain text (the same string in TSV, JSON and HTML); the HTML writer escapes it again,
so nothing from a knowledge base is ever interpreted as markup.
"""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

_BLOCK = {"p", "div", "br", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "table"}
_DROP = {"script", "style", "template", "iframe", "object"}


class _TextOnly(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _DROP:
            self._skip += 1
        elif tag in _BLOCK:
            self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in _DROP:
            self._skip = max(0, self._skip - 1)
        elif tag in _BLOCK:
            self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def plain_text(value: str | None) -> str:
    """Tags dropped (script/style content too), entities decoded, whitespace collapsed."""
    if not value:
        return ""
    if "<" in value:
        parser = _TextOnly()
        parser.feed(value)
        parser.close()
        value = "".join(parser.parts)
    else:
        value = html.unescape(value)
    return re.sub(r"\s+", " ", value).strip()


def one_line(value: str | None) -> str:
    """A value safe for one TSV cell: no tabs or newlines."""
    return re.sub(r"[\t\r\n]+", " ", value or "").strip()
