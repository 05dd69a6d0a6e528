"""Dependency probes: each opens its own short-lived connection, never retries, and returns
typed :class:`~voxpersona.observability.health.Check` results instead of raising."""
