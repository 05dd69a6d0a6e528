"""PostgreSQL: versioned migrations and the recordings repository."""
