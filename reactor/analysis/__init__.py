"""LLM analysis of transcripts: scenarios (prompt files), a chat-model adapter, the runner."""

from reactor.analysis.llm import ChatModel, ReactorChat
from reactor.analysis.runner import StepOutput, run_scenario
from reactor.analysis.scenarios import Scenario, ScenarioBook, Step

__all__ = [
    "ChatModel",
    "ReactorChat",
    "Scenario",
    "ScenarioBook",
    "Step",
    "StepOutput",
    "run_scenario",
]
