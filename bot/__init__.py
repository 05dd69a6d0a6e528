"""The Telegram bot: receives audio, streams it into MinIO, and delivers results to users."""
