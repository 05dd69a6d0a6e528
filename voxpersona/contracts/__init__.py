"""Contracts shared by the bot and the reactor, kept in exactly one place.

- :mod:`.keys`: the object-key scheme (built and parsed only here).
- :mod:`.metadata`: the user metadata the bot attaches to an audio object.
- :mod:`.events`: MinIO's bucket-notification payload as it arrives from NATS.
- :mod:`.results`: the result message the reactor publishes for the bot.
- :mod:`.subjects`: NATS stream and subject names.
"""
