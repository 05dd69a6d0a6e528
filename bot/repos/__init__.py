"""Small repositories: every SQL statement the bot runs, one module per table group.

The reactor owns the schema (it applies ``reactor/db/migrations`` at start-up); the bot owns the
rows of its own tables (``bot_users``, ``bot_invites``, ``bot_uploads``) and deletes recordings
on its users' request. Every query about recordings is scoped by ``user_id``.
"""
