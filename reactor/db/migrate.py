"""Moved to :mod:`voxpersona.recordings.schema`; kept so older imports still resolve."""

from voxpersona.recordings.schema import current_version, load_migrations, migrate

__all__ = ["current_version", "load_migrations", "migrate"]
