"""What operators see: health checks, Prometheus metrics, the status page."""
