"""LLM Markdown rendered as Telegram formatting, built as message entities (pure).

Analyses arrive as Markdown. Sending them with a parse mode would let any stray ``*`` or ``<``
make Telegram refuse the message ("can't parse entities"); entities cannot be malformed that
way. :func:`format_markdown` renders headings, bold, italic, strikethrough, inline code, code
blocks, links, lists and quotes into plain text plus :class:`~aiogram.types.MessageEntity`
objects (offsets and lengths in UTF-16 code units, as the Bot API counts them), checks every
entity, and splits the result into messages of at most 4096 UTF-16 units without cutting an
entity (:mod:`bot.entity_split`). If anything goes wrong it falls back to the plain text.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from aiogram.types import MessageEntity

from bot.entity_split import Span, split_spans, utf16_offsets

TELEGRAM_MESSAGE_LIMIT = 4096
_FENCE = re.compile(r"^\s*(```|~~~)\s*([\w+#.-]*)\s*$")
_HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
_BULLET = re.compile(r"^(\s*)[-*+]\s+(.*)$")
_NUMBERED = re.compile(r"^(\s*)(\d{1,9})[.)]\s+(.*)$")
_QUOTE = re.compile(r"^\s{0,3}>\s?(.*)$")
_RULE = re.compile(r"^\s{0,3}([-*_])(\s*\1){2,}\s*$")
_TABLE_RULE = re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$")
_SAFE_URL = re.compile(r"^(https?://|tg://)[^\s<>\"]+$", re.IGNORECASE)
# Inline delimiters, longest first: each maps to its entity type.
_DELIMITERS = (
    ("**", "bold"),
    ("__", "bold"),
    ("~~", "strikethrough"),
    ("*", "italic"),
    ("_", "italic"),
)


@dataclass(frozen=True, slots=True)
class FormattedText:
    """One message: its text and entities (UTF-16 offsets), ready for ``sendMessage``."""

    text: str
    entities: list[MessageEntity] = field(default_factory=list)


@dataclass
class _Out:
    """Text being built, with spans in code points."""

    text: list[str] = field(default_factory=list)
    spans: list[Span] = field(default_factory=list)
    size: int = 0

    def add(self, piece: str) -> None:
        self.text.append(piece)
        self.size += len(piece)

    def wrap(self, start: int, kind: str, **extra: str) -> None:
        if self.size > start:
            self.spans.append(Span(kind, start, self.size - start, **extra))


Renderer = Callable[..., tuple[str, list[Span]]]


def format_markdown(
    markdown: str,
    *,
    header: str | None = None,
    limit: int = TELEGRAM_MESSAGE_LIMIT,
    renderer: Renderer | None = None,
) -> list[FormattedText]:
    """Messages for ``markdown`` (with ``header`` as a bold first line), never empty ones.

    Falls back to plain text (the Markdown as written) if rendering fails in any way;
    ``renderer`` replaces :func:`render` (tests).
    """
    try:
        text, spans = (renderer or render)(markdown, header=header)
        parts = split_spans(text, spans, limit)
        return [_to_message(part_text, part_spans) for part_text, part_spans in parts]
    except Exception:  # any failure of the renderer must cost the formatting only
        return plain(markdown, header=header, limit=limit)


def plain(
    markdown: str, *, header: str | None = None, limit: int = TELEGRAM_MESSAGE_LIMIT
) -> list[FormattedText]:
    """The text as written, split on natural boundaries, without entities."""
    text = f"{header}\n\n{markdown}" if header else markdown
    return [FormattedText(part) for part, _ in split_spans(text, [], limit)]


def render(markdown: str, *, header: str | None = None) -> tuple[str, list[Span]]:
    """Plain text and checked spans (code points) for ``markdown``."""
    out = _Out()
    if header and header.strip():
        out.add(header.strip())
        out.wrap(0, "bold")
    _blocks(markdown.replace("\r\n", "\n").replace("\r", "\n"), out, blank=True)
    text = "".join(out.text)
    stripped = text.rstrip()
    spans = [_clip(span, len(stripped)) for span in out.spans]
    valid = [span for span in spans if span is not None and _valid(span, stripped)]
    return stripped, _nestable(valid)


def _blocks(markdown: str, out: _Out, *, blank: bool) -> None:
    """Blocks separated as written: a blank line stays one, more collapse to one."""
    lines = markdown.split("\n")
    index = 0
    while index < len(lines):
        line = lines[index]
        if not line.strip():
            blank = out.size > 0
            index += 1
            continue
        if out.size:
            out.add("\n\n" if blank else "\n")
        blank = False
        index = _block(lines, index, out)


def _block(lines: list[str], index: int, out: _Out) -> int:
    """Render the block starting at ``lines[index]``; the index after it."""
    line = lines[index]
    if fence := _FENCE.match(line):
        return _code_block(lines, index, fence.group(1), fence.group(2), out)
    if heading := _HEADING.match(line):
        start = out.size
        _inline(heading.group(2), out)
        out.wrap(start, "bold")
    elif _RULE.match(line):
        out.add("——————")
    elif quote := _QUOTE.match(line):
        start = out.size
        _inline(quote.group(1), out)
        while index + 1 < len(lines) and (more := _QUOTE.match(lines[index + 1])):
            index += 1
            out.add("\n")
            _inline(more.group(1), out)
        out.wrap(start, "blockquote")
    elif bullet := _BULLET.match(line):
        out.add(_indent(bullet.group(1)) + "• ")
        _inline(bullet.group(2), out)
    elif numbered := _NUMBERED.match(line):
        out.add(f"{_indent(numbered.group(1))}{numbered.group(2)}. ")
        _inline(numbered.group(3), out)
    elif _TABLE_RULE.match(line) and "-" in line:
        out.add("")  # a table's |---|---| row says nothing once the table is plain text
    else:
        _inline(line.strip(), out)
    return index + 1


def _indent(spaces: str) -> str:
    return "  " * (len(spaces.expandtabs(4)) // 2)


def _code_block(lines: list[str], index: int, fence: str, language: str, out: _Out) -> int:
    body: list[str] = []
    index += 1
    while index < len(lines) and lines[index].strip() != fence:
        body.append(lines[index])
        index += 1
    code = "\n".join(body).rstrip("\n") or " "
    start = out.size
    out.add(code)
    extra = {"language": language} if re.fullmatch(r"[\w+#.-]{1,32}", language or "") else {}
    out.wrap(start, "pre", **extra)
    return index + 1  # past the closing fence (or the end: an unclosed block runs to it)


def _inline(source: str, out: _Out) -> None:
    """Inline Markdown of one line: code, links, emphasis; anything unmatched stays literal."""
    position = 0
    while position < len(source):
        char = source[position]
        if char == "\\" and position + 1 < len(source) and not source[position + 1].isalnum():
            out.add(source[position + 1])
            position += 2
            continue
        consumed = (
            _code_span(source, position, out)
            or _link(source, position, out)
            or _emphasis(source, position, out)
        )
        if consumed:
            position += consumed
        else:
            out.add(char)
            position += 1


def _code_span(source: str, position: int, out: _Out) -> int:
    if source[position] != "`":
        return 0
    ticks = len(source[position:]) - len(source[position:].lstrip("`"))
    fence = "`" * ticks
    end = source.find(fence, position + ticks)
    if end < 0:
        return 0
    code = source[position + ticks : end].strip() or " "
    start = out.size
    out.add(code)
    out.wrap(start, "code")
    return end + ticks - position


def _link(source: str, position: int, out: _Out) -> int:
    if source[position] != "[":
        return 0
    middle = source.find("](", position + 1)
    if middle < 0:
        return 0
    end = source.find(")", middle + 2)
    if end < 0:
        return 0
    label, url = source[position + 1 : middle], source[middle + 2 : end].strip()
    if not label.strip() or "\n" in label:
        return 0
    start = out.size
    _inline(label, out)
    if _SAFE_URL.match(url):
        out.wrap(start, "text_link", url=url)
    else:  # a URL Telegram might refuse stays visible as text
        out.add(f" ({url})" if url else "")
    return end + 1 - position


def _emphasis(source: str, position: int, out: _Out) -> int:
    for delimiter, kind in _DELIMITERS:
        if not source.startswith(delimiter, position):
            continue
        inner = position + len(delimiter)
        if inner >= len(source) or source[inner].isspace():
            continue  # "* item" or "a * b" is no emphasis
        if delimiter[0] == "_" and position > 0 and source[position - 1].isalnum():
            continue  # snake_case_words stay as they are
        end = _closing(source, inner, delimiter)
        if end < 0:
            continue
        start = out.size
        _inline(source[inner:end], out)
        out.wrap(start, kind)
        return end + len(delimiter) - position
    return 0


def _closing(source: str, start: int, delimiter: str) -> int:
    """Where the closing ``delimiter`` of an emphasis opened before ``start`` is, or -1."""
    search = start
    while (end := source.find(delimiter, search)) >= 0:
        after = end + len(delimiter)
        doubled = len(delimiter) == 1 and source.startswith(delimiter, after)
        ok_before = end > start and not source[end - 1].isspace()
        ok_after = delimiter[0] != "_" or after >= len(source) or not source[after].isalnum()
        if ok_before and ok_after and not doubled:
            return end
        search = end + (2 if doubled else 1)
    return -1


def _clip(span: Span, size: int) -> Span | None:
    end = min(span.offset + span.length, size)
    if end <= span.offset:
        return None
    return Span(span.kind, span.offset, end - span.offset, **span.extra)


def _valid(span: Span, text: str) -> bool:
    """No entity Telegram could refuse or show wrongly: inside the text, not blank, links
    with http(s)/tg URLs only."""
    piece = text[span.offset : span.offset + span.length]
    if span.offset < 0 or not piece or not piece.strip():
        return False
    return span.kind != "text_link" or bool(_SAFE_URL.match(span.extra.get("url", "")))


_STYLES = frozenset({"bold", "italic", "underline", "strikethrough", "spoiler"})
_CODE = frozenset({"pre", "code"})


def _nestable(spans: list[Span]) -> list[Span]:
    """The spans Telegram allows together ("Formatting options" in the Bot API docs): nested
    fully or not at all; styles inside or around anything but code; nothing else nested.
    An outer span wins over what it may not contain."""
    kept: list[Span] = []
    for span in sorted(spans, key=lambda s: (s.offset, -s.length)):
        if all(_compatible(other, span) for other in kept):
            kept.append(span)
    return kept


def _compatible(outer: Span, inner: Span) -> bool:
    if inner.offset >= outer.end or inner.end <= outer.offset:
        return True  # apart
    if inner.end > outer.end:
        return False  # partial overlap
    if outer.kind in _CODE or inner.kind in _CODE:
        return False
    return outer.kind in _STYLES or inner.kind in _STYLES


def _to_message(text: str, spans: list[Span]) -> FormattedText:
    units = utf16_offsets(text)
    entities = [
        MessageEntity(
            type=span.kind,
            offset=units[span.offset],
            length=units[span.offset + span.length] - units[span.offset],
            url=span.extra.get("url"),
            language=span.extra.get("language"),
        )
        for span in sorted(spans, key=lambda s: (s.offset, -s.length))
    ]
    return FormattedText(text, entities)
