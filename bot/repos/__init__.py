"""Small repositories: every SQL statement the bot runs, one module per table group.

The recordings belong to :mod:`voxpersona.recordings` (schema, migrations, every write, the
read models): the bot asks it, never runs SQL on those tables. The bot owns the rows of its own
tables (``bot_users``, ``bot_invites``, ``bot_uploads``, ``bot_usage``). Every query about a
user's recordings is scoped by ``user_id``.
"""
