"""LLM Markdown → Telegram entities: what it renders, and that nothing an LLM writes can make
entities Telegram would refuse or messages over its limit."""

from __future__ import annotations

import random

import pytest
from aiogram.types import MessageEntity

from bot.entity_split import Span, split_spans, utf16_offsets
from bot.formatting import FormattedText, format_markdown, plain, render
from voxpersona.localstack.fake_telegram_rules import ENTITY_TYPES, entity_problem, utf16_length


def entities_of(part: FormattedText) -> list[tuple[str, str]]:
    """(type, the text it covers) for every entity, decoded through UTF-16 like a client."""
    raw = part.text.encode("utf-16-le")
    return [
        (e.type, raw[e.offset * 2 : (e.offset + e.length) * 2].decode("utf-16-le"))
        for e in part.entities
    ]


def entity_dicts(part: FormattedText) -> list[dict[str, object]]:
    return [e.model_dump(exclude_none=True) for e in part.entities]


def assert_acceptable(parts: list[FormattedText], limit: int = 4096) -> None:
    """What Telegram checks: non-empty text within the limit, entities inside it."""
    assert parts
    for part in parts:
        assert part.text.strip()
        assert utf16_length(part.text) <= limit
        assert entity_problem(part.text, entity_dicts(part)) is None, entity_dicts(part)
        for entity in part.entities:
            assert entity.type in ENTITY_TYPES
            assert entity.length > 0
        for _, covered in entities_of(part):
            assert covered.strip()


def test_headings_emphasis_code_links_lists_and_quotes() -> None:
    markdown = (
        "# Итоги встречи\n\n"
        "**Решения:** запустить _пилот_ и ~~отменить~~ перенести.\n"
        "- бюджет `1 200 000 ₽`\n"
        "  * вложенный пункт со snake_case_name\n"
        "2) второй шаг, см. [отчёт](https://example.com/r?a=1)\n"
        "> цитата\n> продолжение\n\n"
        "```python\nprint('hi')\n```\n"
        "---\n"
        "2 * 3 = 6"
    )
    [part] = format_markdown(markdown, header="Анализ:")

    assert part.text.splitlines() == [
        "Анализ:",
        "",
        "Итоги встречи",
        "",
        "Решения: запустить пилот и отменить перенести.",
        "• бюджет 1 200 000 ₽",
        "  • вложенный пункт со snake_case_name",
        "2. второй шаг, см. отчёт",
        "цитата",
        "продолжение",
        "",
        "print('hi')",
        "——————",
        "2 * 3 = 6",
    ]
    assert entities_of(part) == [
        ("bold", "Анализ:"),
        ("bold", "Итоги встречи"),
        ("bold", "Решения:"),
        ("italic", "пилот"),
        ("strikethrough", "отменить"),
        ("code", "1 200 000 ₽"),
        ("text_link", "отчёт"),
        ("blockquote", "цитата\nпродолжение"),
        ("pre", "print('hi')"),
    ]
    link = next(e for e in part.entities if e.type == "text_link")
    assert link.url == "https://example.com/r?a=1"
    assert next(e for e in part.entities if e.type == "pre").language == "python"
    assert_acceptable([part])


def test_offsets_count_utf16_units_past_emoji_and_astral_characters() -> None:
    [part] = format_markdown("👍🏽 **готово** 𝔘 _да_")
    bold = next(e for e in part.entities if e.type == "bold")
    assert part.text == "👍🏽 готово 𝔘 да"
    assert (bold.offset, bold.length) == (5, 6)  # 👍🏽 is four UTF-16 units, then a space
    assert entities_of(part) == [("bold", "готово"), ("italic", "да")]


@pytest.mark.parametrize(
    "markdown",
    [
        "**unclosed bold",
        "a ** b ** c",
        "`unclosed code",
        "[no url](",
        "[label](javascript:alert(1))",
        "[label]()",
        "__init__.py and *args, **kwargs",
        "****",
        "** **",
        "_ _",
        "```\nunclosed block",
        "> ",
        "#",
        "\\*not italic\\* and \\_not\\_",
        "*a **b** c*",
        "[**bold link**](https://x.org)",
        "`code with **stars**`",
    ],
)
def test_whatever_an_llm_writes_gives_acceptable_messages(markdown: str) -> None:
    assert_acceptable(format_markdown(markdown, header="Summary:"))


def test_unsafe_links_stay_visible_as_text() -> None:
    [part] = format_markdown("see [here](javascript:alert(1)) or [there](ftp://x)")
    assert [e.type for e in part.entities] == []
    assert "javascript:alert(1" in part.text
    assert "(ftp://x)" in part.text


def test_escapes_snake_case_and_arithmetic_stay_literal() -> None:
    [part] = format_markdown("\\*literal\\* snake_case_name 2 * 3 * 4 a_b_c")
    assert part.text == "*literal* snake_case_name 2 * 3 * 4 a_b_c"
    assert part.entities == []


def test_long_text_is_split_within_the_limit_without_cutting_an_entity() -> None:
    paragraph = "Обычный текст **важная мысль номер {n}** и ещё немного слов. " * 3
    markdown = "\n\n".join(paragraph.format(n=n) for n in range(200))
    parts = format_markdown(markdown, limit=500)

    assert len(parts) > 10
    assert_acceptable(parts, limit=500)
    bolds = [covered for part in parts for kind, covered in entities_of(part) if kind == "bold"]
    assert len(bolds) == 600  # every one whole, none cut in two
    assert all(covered.startswith("важная мысль номер") for covered in bolds)
    joined = " ".join(part.text for part in parts)
    assert joined.count("Обычный текст") == 600  # nothing lost at the cuts


def test_an_entity_longer_than_a_message_is_cut_into_pieces_that_each_keep_it() -> None:
    code = "\n".join(f"line {n} = {n * n}" for n in range(400))
    parts = format_markdown(f"Before.\n\n```\n{code}\n```\n\nAfter.", limit=1000)
    assert_acceptable(parts, limit=1000)
    pres = [covered for part in parts for kind, covered in entities_of(part) if kind == "pre"]
    assert "".join(pres).replace("\n", "") == code.replace("\n", "")


def test_split_counts_utf16_units_not_code_points() -> None:
    text = "😀" * 3000  # 6000 UTF-16 units in 3000 code points
    parts = split_spans(text, [Span("bold", 0, 3000)], 4096)
    assert [len(piece) for piece, _ in parts] == [2048, 952]
    for piece, spans in parts:
        assert utf16_length(piece) <= 4096
        assert [(s.offset, s.length) for s in spans] == [(0, len(piece))]


def test_plain_fallback_when_rendering_fails() -> None:
    def broken(markdown: str, *, header: str | None = None) -> tuple[str, list[Span]]:
        raise RuntimeError("renderer bug")

    parts = format_markdown("**bold** text", header="Summary:", renderer=broken)
    assert parts == [FormattedText("Summary:\n\n**bold** text")]
    assert plain("x" * 10, limit=4) == [
        FormattedText("xxxx"),
        FormattedText("xxxx"),
        FormattedText("xx"),
    ]


def test_render_gives_code_point_spans_inside_the_text() -> None:
    text, spans = render("**a** `b`")
    assert text == "a b"
    assert [(s.kind, s.offset, s.length) for s in spans] == [("bold", 0, 1), ("code", 2, 1)]
    assert utf16_offsets("a😀b") == [0, 1, 3, 4]


_PIECES = [
    "**", "*", "__", "_", "~~", "`", "```", "[", "](", ")", "(", "\\", "#", "> ", "- ", "1. ",
    "\n", "\n\n", " ", "  ", "\r\n", "word", "слово", "😀", "👍🏽", "𝔘", "https://x.org/a",
    "javascript:x", "|", "---", "\t", "&", "<b>", "\u200b", "\u0301",
]  # fmt: skip


def test_random_llm_like_markdown_never_gives_a_refusable_message() -> None:
    rng = random.Random(20260513)
    for _ in range(600):
        markdown = "".join(rng.choice(_PIECES) for _ in range(rng.randint(1, 120)))
        if not markdown.strip():
            continue
        limit = rng.choice([4096, 64, 17])
        parts = format_markdown(markdown, header=rng.choice([None, "Итог:"]), limit=limit)
        assert_acceptable(parts, limit=limit)


def test_entities_are_aiogram_message_entities() -> None:
    [part] = format_markdown("**x**")
    assert isinstance(part.entities[0], MessageEntity)
    assert part.entities[0].model_dump(exclude_none=True) == {
        "type": "bold",
        "offset": 0,
        "length": 1,
    }


def test_only_nestings_telegram_allows() -> None:
    # Styles may hold styles and links; code holds nothing and sits in no style; quotes hold
    # styles only. The outer entity wins.
    [part] = format_markdown(
        "**bold `code` and [link](https://x.org)** and *it **both***\n> quote [l](https://y.org)"
    )
    assert entities_of(part) == [
        ("bold", "bold code and link"),
        ("text_link", "link"),
        ("italic", "it both"),
        ("bold", "both"),
        ("blockquote", "quote l"),
    ]
    assert_acceptable([part])
    assert (
        entity_problem(
            "ab",
            [
                {"type": "code", "offset": 0, "length": 2},
                {"type": "bold", "offset": 0, "length": 1},
            ],
        )
        == "can't parse entities: bold can't be inside code"
    )
