"""NATS JetStream names shared by MinIO's configuration, the reactor and the bot."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class StreamNames:
    """Names of the streams, subjects and durable consumers.

    ``events_subject`` is the subject MinIO's NATS target publishes to
    (``MINIO_NOTIFY_NATS_SUBJECT_PRIMARY``); it must match ``docker-compose.yml``.
    """

    events_stream: str = "VOXPERSONA_EVENTS"
    events_subject: str = "voxpersona.minio.events"
    reactor_durable: str = "reactor"
    results_stream: str = "VOXPERSONA_RESULTS"
    results_subject: str = "voxpersona.results"
    bot_durable: str = "bot-delivery"
    # Core NATS (not JetStream): progress is ephemeral; bots share it through a queue group.
    progress_subject: str = "voxpersona.progress"
    progress_queue: str = "bot-progress"
    dead_letter_stream: str = "VOXPERSONA_DLQ"
    dead_letter_subject: str = "voxpersona.dlq"
    # nats-server's MAX_DELIVERIES advisories for the streams above, kept for the backstop.
    advisory_stream: str = "VOXPERSONA_ADVISORIES"
    # Requests to do work again (re-analysis, a scenario chosen later), from the bot to the
    # reactors: their own stream and durable, never forged MinIO events.
    commands_stream: str = "VOXPERSONA_COMMANDS"
    commands_subject: str = "voxpersona.commands.recordings"
    commands_durable: str = "reactor-commands"
