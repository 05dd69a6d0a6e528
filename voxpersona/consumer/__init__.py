"""One JetStream consumer core for every durable pull consumer in the project.

:mod:`~voxpersona.consumer.plan` decides (pure) what becomes of a delivery,
:mod:`~voxpersona.consumer.core` runs the pull loop and carries the decision out,
:mod:`~voxpersona.consumer.dead_letter` stores what the application gave up on, and
:mod:`~voxpersona.consumer.advisories` catches what the server gave up on (the backstop).
"""

from voxpersona.consumer.core import ConsumerOptions, Heartbeat, JetStreamConsumer, MessageHandler
from voxpersona.consumer.plan import (
    Action,
    RetryPolicy,
    Settlement,
    Verdict,
    plan_arrival,
    plan_settlement,
    server_max_deliver,
)

__all__ = [
    "Action",
    "ConsumerOptions",
    "Heartbeat",
    "JetStreamConsumer",
    "MessageHandler",
    "RetryPolicy",
    "Settlement",
    "Verdict",
    "plan_arrival",
    "plan_settlement",
    "server_max_deliver",
]
