"""One consume loop: only the consumer core pulls from JetStream or settles messages, so a second
hand-written loop with its own retry rules cannot come back unnoticed."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CORE = ROOT / "voxpersona" / "consumer"
# Pulling and settling: nats-py's pull subscription and a message's ack/nak/term.
LOOP_CALLS = {"pull_subscribe", "pull_subscribe_bind", "ack", "ack_sync", "nak", "term"}


def loop_calls_outside_the_core() -> set[tuple[str, str]]:
    found = set()
    for folder in ("bot", "reactor", "voxpersona"):
        for path in (ROOT / folder).rglob("*.py"):
            if path.is_relative_to(CORE) or "localstack" in path.parts:
                continue
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Attribute) and node.attr in LOOP_CALLS:
                    found.add((str(path.relative_to(ROOT)), node.attr))
    return found


def test_only_the_consumer_core_pulls_and_settles() -> None:
    assert loop_calls_outside_the_core() == set()


def test_the_consumer_core_itself_is_found() -> None:
    core_calls = {
        node.attr
        for node in ast.walk(ast.parse((CORE / "core.py").read_text(encoding="utf-8")))
        if isinstance(node, ast.Attribute) and node.attr in LOOP_CALLS
    }
    assert {"pull_subscribe_bind", "ack_sync", "nak", "term"} <= core_calls
