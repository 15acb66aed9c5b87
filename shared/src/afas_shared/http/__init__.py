"""HTTP plumbing every service mounts: health, readiness, metrics, tracing middleware."""
