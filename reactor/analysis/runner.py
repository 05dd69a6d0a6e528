"""Running a scenario over a transcript: steps chained, long inputs map-reduced."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from reactor.analysis.llm import ChatModel
from reactor.analysis.scenarios import Language, Scenario, Step
from reactor.concurrency import gather_or_cancel

Heartbeat = Callable[[], Awaitable[None]]
_BOUNDARY = re.compile(r"(?<=[.!?…])\s+|\n+")


@dataclass(frozen=True, slots=True)
class StepOutput:
    name: str
    output: str
    model: str
    chunks: int


def split_text(text: str, limit: int) -> list[str]:
    """Parts of at most ``limit`` characters, cut between sentences (or words) where possible."""
    if limit < 1:
        raise ValueError("limit must be positive")
    pieces = [p for p in _BOUNDARY.split(text.strip()) if p]
    parts: list[str] = []
    current = ""
    for piece in pieces:
        while len(piece) > limit:  # a "sentence" longer than a part: cut at a space
            cut = piece.rfind(" ", 0, limit) if " " in piece[:limit] else limit
            piece_head, piece = piece[: cut or limit], piece[cut or limit :].lstrip()
            if current:
                parts.append(current)
                current = ""
            parts.append(piece_head)
        if current and len(current) + 1 + len(piece) > limit:
            parts.append(current)
            current = piece
        else:
            current = f"{current} {piece}" if current else piece
    if current:
        parts.append(current)
    return parts


def _message(prompt: str, text: str, *, part: tuple[int, int] | None = None) -> str:
    where = f" (part {part[0]} of {part[1]})" if part else ""
    return f"{prompt}\n\n=== INPUT{where} ===\n{text}\n=== END ==="


async def _run_step(
    step: Step,
    text: str,
    language: Language,
    chat: ChatModel,
    *,
    chunk_chars: int,
    limit: asyncio.Semaphore,
    heartbeat: Heartbeat,
) -> tuple[str, int]:
    system = step.system[language]

    async def ask(prompt: str, body: str, part: tuple[int, int] | None = None) -> str:
        async with limit:
            reply = await chat.complete(system=system, user=_message(prompt, body, part=part))
        await heartbeat()
        return reply

    parts = split_text(text, chunk_chars)
    if len(parts) <= 1:
        return await ask(step.prompt[language], text), 1
    numbered = [(i + 1, len(parts)) for i in range(len(parts))]
    if step.mode == "map":
        outputs = await gather_or_cancel(
            ask(step.prompt[language], p, n) for p, n in zip(parts, numbered, strict=True)
        )
        return "\n\n".join(outputs), len(parts)
    assert step.map_prompt is not None  # checked when the scenario was loaded
    notes = await gather_or_cancel(
        ask(step.map_prompt[language], p, n) for p, n in zip(parts, numbered, strict=True)
    )
    joined = "\n\n".join(f"[{i}/{len(notes)}]\n{note}" for i, note in enumerate(notes, 1))
    return await ask(step.prompt[language], joined), len(parts)


async def run_scenario(
    scenario: Scenario,
    transcript: str,
    language: Language,
    chat: ChatModel,
    *,
    chunk_chars: int,
    concurrency: int,
    heartbeat: Heartbeat,
) -> list[StepOutput]:
    """Every step's output; each step reads the previous step's output (the first: the
    transcript). Raises the chat model's Transient/PermanentError."""
    limit = asyncio.Semaphore(concurrency)
    outputs: list[StepOutput] = []
    text = transcript
    for step in scenario.steps:
        text, chunks = await _run_step(
            step,
            text,
            language,
            chat,
            chunk_chars=chunk_chars,
            limit=limit,
            heartbeat=heartbeat,
        )
        outputs.append(StepOutput(step.name, text, chat.model, chunks))
    return outputs
