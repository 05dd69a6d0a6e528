"""PostgreSQL: the recordings schema, migrations and repository live in
:mod:`voxpersona.recordings` (shared by the bot and the reactor); these modules re-export them."""
