"""The reactor: consumes MinIO bucket events from NATS JetStream and turns recordings into
transcripts, recorded in PostgreSQL and announced to the bot."""
