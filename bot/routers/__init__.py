"""The bot's routers, one per concern."""
